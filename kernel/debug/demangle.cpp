#include <kernel/debug/demangle.h>

#include <string.h>

// How it works without a heap. The parser prints as it reads, in one pass over the input, except
// where C++ puts things in another order than the mangling does; there it reads a part first
// without printing ("quiet") and prints it later by reading it again ("replay"). The same
// replaying makes substitutions and template parameters cheap: the substitution table holds the
// input span of each candidate (ABI §5.1.10) and `S3_` or `T0_` re-reads that span. Replays
// never add candidates, so the table ends up exactly as the ABI defines it.
//
// Output follows libiberty's printer (what c++filt and GDB show), including its spacing quirks
// such as `operator< <int>`, `A<B<int> >` and `char (*) [4]`. Checked against c++filt on every
// name in the kernel and on 150,000 names from a Debian system's C++ libraries: besides the
// refusals, the only differences are names c++filt gives up on, and one libiberty slip, where
// a substitution for `T&` inside a local class used as a template argument is printed with the
// wrong template's T (this prints the right one).

namespace kernel::debug {

namespace {

// Limits. A name longer than MAX_INPUT is refused, so that positions fit in 16 bits. MAX_DEPTH
// bounds the recursion (each recursive function counts a level) and with it the stack: on
// x86_64 at -O2, hostile input reaches about 5 KiB including the Demangler's 1 KiB, the
// kernel's own names at most 2.3 KiB. MAX_STEPS bounds the work (substitutions can double the
// output at each step). The kernel's names need depth 13, 250 steps and 21 substitutions; of
// 150,000 names from the C++ libraries on a Debian system, 99.9% fit every limit.
constexpr nk::usize MAX_INPUT = 4096;
constexpr int MAX_DEPTH = 32;
constexpr nk::u32 MAX_STEPS = 20000;
constexpr nk::usize MAX_SUBSTITUTIONS = 64;
constexpr nk::usize MAX_TEMPLATE_ARGS = 32;
constexpr nk::usize MAX_MODIFIERS = 32; // all declarators being read together
constexpr nk::usize MAX_ARRAY_DIMENSIONS = 4;
constexpr nk::usize MAX_DIGITS = 40; // enough for any 128-bit literal

struct Span {
    nk::u16 begin = 0;
    nk::u16 end = 0;
};

// A substitution candidate: a prefix of a nested or template name (replayed as name
// components) or a type.
enum class EntryKind : nk::u8 { Prefix, Type };
struct Entry {
    Span span;
    EntryKind kind;
};

// One of the P R O K V r M wrapped around a type, outermost first. A declarator collects them
// down to the base type; they print after it, innermost first, so `PKc` reads `char const*`.
struct Modifier {
    char kind;
    bool starts_candidate; // P, R, O, M and the first of a cv run each make a candidate
    nk::u16 candidate_begin;
    Span member_class; // M: the class
};

enum class BaseKind : nk::u8 { Plain, Function, Array };

// A type being read: its modifiers are the Demangler's modifier stack from `first` up.
// Declarators nest strictly (an inner one is finished before the outer one takes more), so one
// stack serves them all and the recursion's frames stay small.
struct Declarator {
    nk::usize first;
    BaseKind base = BaseKind::Plain;
    bool rendered = false; // a function or array base prints the modifiers in its middle
};

// What the encoding needs to know about a name it has read.
enum class NameKind : nk::u8 { Unqualified, Qualified, Other };
struct NameInfo {
    NameKind kind = NameKind::Unqualified;
    bool is_template = false;    // ends in template arguments: the function type has a return type
    bool no_return_type = false; // constructor, destructor or conversion operator
    bool conversion = false;     // a conversion operator
    char cv[3] = {};             // member function qualifiers as mangled (r V K)
    char ref = 0;                // member function ref-qualifier: R or O
};

struct Operator {
    char code[3];
    const char* name;
};

// ABI §5.1.5.3; the sizeof/alignof/cast forms only occur in expressions, which are refused.
constexpr Operator OPERATORS[] = {
    {"nw", "new"}, {"na", "new[]"}, {"dl", "delete"}, {"da", "delete[]"}, {"ps", "+"},
    {"ng", "-"},   {"ad", "&"},     {"de", "*"},      {"co", "~"},        {"pl", "+"},
    {"mi", "-"},   {"ml", "*"},     {"dv", "/"},      {"rm", "%"},        {"an", "&"},
    {"or", "|"},   {"eo", "^"},     {"aS", "="},      {"pL", "+="},       {"mI", "-="},
    {"mL", "*="},  {"dV", "/="},    {"rM", "%="},     {"aN", "&="},       {"oR", "|="},
    {"eO", "^="},  {"ls", "<<"},    {"rs", ">>"},     {"lS", "<<="},      {"rS", ">>="},
    {"eq", "=="},  {"ne", "!="},    {"lt", "<"},      {"gt", ">"},        {"le", "<="},
    {"ge", ">="},  {"ss", "<=>"},   {"nt", "!"},      {"aa", "&&"},       {"oo", "||"},
    {"pp", "++"},  {"mm", "--"},    {"cm", ","},      {"pm", "->*"},      {"pt", "->"},
    {"cl", "()"},  {"ix", "[]"},    {"qu", "?"},      {"aw", "co_await"},
};

struct StdAbbreviation {
    char code;
    const char* name; // spelled out, as c++filt does (it asks libiberty for DMGL_VERBOSE)
    const char* last_name;
};

// ABI §5.1.8.
constexpr StdAbbreviation STD_ABBREVIATIONS[] = {
    {'t', "std", nullptr},
    {'a', "std::allocator", "allocator"},
    {'b', "std::basic_string", "basic_string"},
    {'s', "std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "basic_string"},
    {'i', "std::basic_istream<char, std::char_traits<char> >", "basic_istream"},
    {'o', "std::basic_ostream<char, std::char_traits<char> >", "basic_ostream"},
    {'d', "std::basic_iostream<char, std::char_traits<char> >", "basic_iostream"},
};

struct Code {
    char code;
    const char* text;
};

// <builtin-type> (ABI §5.1.5.2), one letter.
constexpr Code BUILTIN_TYPES[] = {
    {'v', "void"},        {'w', "wchar_t"},
    {'b', "bool"},        {'c', "char"},
    {'a', "signed char"}, {'h', "unsigned char"},
    {'s', "short"},       {'t', "unsigned short"},
    {'i', "int"},         {'j', "unsigned int"},
    {'l', "long"},        {'m', "unsigned long"},
    {'x', "long long"},   {'y', "unsigned long long"},
    {'n', "__int128"},    {'o', "unsigned __int128"},
    {'f', "float"},       {'d', "double"},
    {'e', "long double"}, {'g', "__float128"},
    {'z', "..."},
};

// The `D` builtins, by their second letter.
constexpr Code D_BUILTIN_TYPES[] = {
    {'n', "decltype(nullptr)"}, {'a', "auto"},     {'c', "decltype(auto)"},
    {'s', "char16_t"},          {'i', "char32_t"}, {'u', "char8_t"},
};

// Integer literals c++filt prints with a suffix (`4096ul`); other types get a cast, `(short)3`.
constexpr Code LITERAL_SUFFIXES[] = {
    {'i', ""}, {'j', "u"}, {'l', "l"}, {'m', "ul"}, {'x', "ll"}, {'y', "ull"},
};

template <nk::usize N>
const char* lookup(const Code (&table)[N], char code) {
    for (const Code& entry : table) {
        if (entry.code == code)
            return entry.text;
    }
    return nullptr;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_cv(char c) {
    return c == 'r' || c == 'V' || c == 'K';
}

class Demangler {
public:
    Demangler(const char* input, nk::usize length, char* out, nk::usize out_size)
        : m_in(input), m_limit(length), m_length(length), m_out(out), m_out_size(out_size) {}

    // The whole name after "_Z".
    bool run();
    // NUL-terminates what run() printed.
    void terminate() {
        if (m_out_size > 0)
            m_out[m_out_length < m_out_size ? m_out_length : m_out_size - 1] = '\0';
    }

private:
    // Every recursive function opens one: refuses when too deep or after too much work.
    class Nest {
    public:
        explicit Nest(Demangler& d) : m_d(d) {
            m_ok = ++d.m_depth <= MAX_DEPTH && ++d.m_steps <= MAX_STEPS;
        }
        ~Nest() { --m_d.m_depth; }
        Nest(const Nest&) = delete;
        Nest& operator=(const Nest&) = delete;
        bool ok() const { return m_ok; }

    private:
        Demangler& m_d;
        bool m_ok;
    };

    // Reads without printing.
    class Quiet {
    public:
        explicit Quiet(Demangler& d) : m_d(d) { ++d.m_quiet; }
        ~Quiet() { --m_d.m_quiet; }
        Quiet(const Quiet&) = delete;
        Quiet& operator=(const Quiet&) = delete;

    private:
        Demangler& m_d;
    };

    // Reads a span read before: no new substitution candidates, position and limit restored.
    class Replay {
    public:
        Replay(Demangler& d, nk::usize begin, nk::usize end)
            : m_d(d), m_pos(d.m_pos), m_limit(d.m_limit) {
            ++d.m_replay;
            d.m_pos = begin;
            d.m_limit = end;
        }
        ~Replay() {
            --m_d.m_replay;
            m_d.m_pos = m_pos;
            m_d.m_limit = m_limit;
        }
        Replay(const Replay&) = delete;
        Replay& operator=(const Replay&) = delete;

    private:
        Demangler& m_d;
        nk::usize m_pos;
        nk::usize m_limit;
    };

    // Input.
    char peek(nk::usize ahead = 0) const {
        return m_pos + ahead < m_limit ? m_in[m_pos + ahead] : '\0';
    }
    bool consume(char c) {
        if (peek() != c)
            return false;
        ++m_pos;
        return true;
    }
    bool consume(char a, char b) {
        if (peek() != a || peek(1) != b)
            return false;
        m_pos += 2;
        return true;
    }
    bool digits(nk::usize& count);
    bool number(nk::u32& value);
    bool at_encoding_end() const {
        char c = peek();
        return c == '\0' || c == 'E' || c == '.';
    }

    // Output.
    void put(char c);
    void put(const char* text, nk::usize length);
    void put(const char* text) { put(text, strlen(text)); }
    void put_span(nk::usize begin, nk::usize end) { put(m_in + begin, end - begin); }
    void put_number(nk::u32 value);
    // A list printed with ", " between its elements, as libiberty prints one: the separators
    // in front of a run of elements that print nothing (empty packs) at the end of the list are
    // taken back, so `f<int, <empty>>` prints `f<int>` but `f(int, <empty>, int)` prints
    // `f(int, , int)`. Its memory of the last character keeps the taken-back ' ', so a
    // following '>' gets no space: `A<B<int>>`.
    class List {
    public:
        explicit List(Demangler& d) : m_d(d), m_keep(d.m_out_length) {}
        void before_element() {
            if (!m_first)
                m_d.put(", ", 2);
            m_before = m_d.m_out_length;
        }
        void after_element() {
            if (m_first || m_d.m_out_length != m_before)
                m_keep = m_d.m_out_length;
            m_first = false;
        }
        void finish() { m_d.m_out_length = m_keep; }

    private:
        Demangler& m_d;
        nk::usize m_keep;
        nk::usize m_before = 0;
        bool m_first = true;
    };
    void add_candidate(EntryKind kind, nk::usize begin);

    // Grammar (ABI §5.1).
    bool special_name();
    bool call_offset();
    bool encoding(bool in_local_name, bool in_address);
    bool encoding_body(bool in_local_name, bool in_address);
    bool name(NameInfo& info, bool record);
    bool nested_name(NameInfo& info, bool record);
    bool local_name(NameInfo& info, bool record);
    bool prefix_components(NameInfo& info, bool record);
    bool unqualified_name(NameInfo& info);
    bool source_name(bool sets_last_name);
    bool operator_name(NameInfo& info);
    bool unnamed_type();
    bool discriminator();
    bool substitution(Declarator* decl);
    bool replay_entry(nk::usize index, Declarator* decl);
    bool template_param(Declarator* decl);
    bool replay_template_arg(nk::usize begin, nk::usize end, Declarator* decl);
    bool template_args(bool record);
    bool template_arg();
    bool literal();
    bool expression();
    bool type(bool* complex = nullptr);
    bool type_in(Declarator& decl);
    bool push_modifier(Declarator& decl, char kind, bool starts, nk::usize begin, Span cls,
                       bool& pushed);
    // Kept out of type_in() so that its frame, which recursion multiplies, stays small.
    [[gnu::noinline]] bool function_type(Declarator& decl);
    [[gnu::noinline]] bool array_type(Declarator& decl);
    bool parameters(bool in_function_type);
    bool pack_expansion();
    bool render(nk::usize from, nk::usize to);
    bool clone_suffixes();

    const char* m_in;
    nk::usize m_pos = 0;
    nk::usize m_limit;  // end of what may be read now (a replay's span)
    nk::usize m_length; // of the whole input
    char* m_out;
    nk::usize m_out_size;
    nk::usize m_out_length = 0; // printed so far, also what did not fit
    char m_last = 0;            // last character printed
    int m_quiet = 0;
    int m_replay = 0;
    int m_in_lambda = 0; // reading a lambda's parameters
    int m_depth = 0;
    nk::u32 m_steps = 0;

    Modifier m_mods[MAX_MODIFIERS]; // see Declarator
    nk::usize m_mod_count = 0;
    Entry m_entries[MAX_SUBSTITUTIONS];
    nk::usize m_entry_count = 0;
    // Template arguments of the function being read, for T_: m_arg_count of them from
    // m_arg_base on (nested encodings stack theirs above).
    Span m_args[MAX_TEMPLATE_ARGS];
    nk::usize m_arg_base = 0;
    nk::usize m_arg_count = 0;
    // Pack expansion: which element of an argument pack T_ stands for, or (probing) how long
    // the pack is.
    nk::usize m_pack_index = 0;
    bool m_probing_pack = false;
    nk::usize m_pack_length = 0;
    bool m_found_pack = false;
    // The last source name, which constructors and destructors repeat.
    const char* m_last_name = nullptr;
    nk::usize m_last_name_length = 0;
};

bool Demangler::digits(nk::usize& count) {
    count = 0;
    while (is_digit(peek())) {
        if (++count > MAX_DIGITS)
            return false;
        ++m_pos;
    }
    return count > 0;
}

bool Demangler::number(nk::u32& value) {
    value = 0;
    if (!is_digit(peek()))
        return false;
    while (is_digit(peek())) {
        if (value > 100000)
            return false;
        value = value * 10 + nk::u32(peek() - '0');
        ++m_pos;
    }
    return true;
}

void Demangler::put(char c) {
    if (m_quiet > 0)
        return;
    if (m_out_length + 1 < m_out_size)
        m_out[m_out_length] = c;
    ++m_out_length;
    m_last = c;
}

void Demangler::put(const char* text, nk::usize length) {
    if (m_quiet > 0 || length == 0)
        return;
    if (m_out_length + 1 < m_out_size) {
        nk::usize room = m_out_size - 1 - m_out_length;
        memcpy(m_out + m_out_length, text, length < room ? length : room);
    }
    m_out_length += length;
    m_last = text[length - 1];
}

void Demangler::put_number(nk::u32 value) {
    char text[10];
    nk::usize length = sizeof text;
    do {
        text[--length] = char('0' + value % 10);
        value /= 10;
    } while (value > 0);
    put(text + length, sizeof text - length);
}

void Demangler::add_candidate(EntryKind kind, nk::usize begin) {
    if (m_replay > 0)
        return;
    // Past the table's end a reference fails as out of range, which refuses the name.
    if (m_entry_count < MAX_SUBSTITUTIONS)
        m_entries[m_entry_count++] = {{nk::u16(begin), nk::u16(m_pos)}, kind};
}

bool Demangler::run() {
    if (peek() == 'T' || peek() == 'G') {
        if (!special_name())
            return false;
    } else if (!encoding(false, false)) {
        return false;
    }
    return clone_suffixes() && m_pos == m_length;
}

// GCC's clone suffixes (`.constprop.0`, `.isra.0`, `.part.0`, `.cold`), kept as c++filt keeps
// them; the rule is libiberty's d_clone_suffix.
bool Demangler::clone_suffixes() {
    while (peek() == '.' && (is_lower(peek(1)) || is_digit(peek(1)) || peek(1) == '_')) {
        nk::usize begin = m_pos;
        m_pos += 2;
        while (is_lower(peek()) || is_digit(peek()) || peek() == '_')
            ++m_pos;
        while (peek() == '.' && is_digit(peek(1))) {
            m_pos += 2;
            while (is_digit(peek()))
                ++m_pos;
        }
        put(" [clone ");
        put_span(begin, m_pos);
        put(']');
    }
    return true;
}

// <special-name> (ABI §5.1.4): virtual tables, type information, thunks, guard variables.
bool Demangler::special_name() {
    struct Special {
        char code[3];
        const char* label;
        char what; // t: a type, a: a template argument, n: a name, e: an encoding after offsets
    };
    static constexpr Special SPECIALS[] = {
        {"TV", "vtable for ", 't'},
        {"TT", "VTT for ", 't'},
        {"TI", "typeinfo for ", 't'},
        {"TS", "typeinfo name for ", 't'},
        {"TA", "template parameter object for ", 'a'},
        {"TW", "TLS wrapper function for ", 'n'},
        {"TH", "TLS init function for ", 'n'},
        {"GV", "guard variable for ", 'n'},
        {"Th", "non-virtual thunk to ", 'e'},
        {"Tv", "virtual thunk to ", 'e'},
        {"Tc", "covariant return thunk to ", 'e'},
    };
    for (const Special& special : SPECIALS) {
        if (peek() != special.code[0] || peek(1) != special.code[1])
            continue;
        put(special.label);
        NameInfo info;
        switch (special.what) {
        case 't':
            m_pos += 2;
            return type();
        case 'a':
            m_pos += 2;
            return template_arg();
        case 'n':
            m_pos += 2;
            return name(info, false);
        default:
            // Th and Tv: the h or v starts the call offset; Tc has two offsets.
            m_pos += special.code[1] == 'c' ? 2 : 1;
            if (special.code[1] == 'c' && !call_offset())
                return false;
            return call_offset() && encoding(false, false);
        }
    }
    return false;
}

// <call-offset> ::= h <number> _ | v <number> _ <number> _ (printed by nobody).
bool Demangler::call_offset() {
    char kind = peek();
    if (kind != 'h' && kind != 'v')
        return false;
    ++m_pos;
    for (int part = 0; part < (kind == 'h' ? 1 : 2); ++part) {
        consume('n');
        nk::usize count;
        if (!digits(count) || !consume('_'))
            return false;
    }
    return true;
}

// <encoding> ::= <name> [<bare-function-type>]. Read quietly once (the table fills, the return
// type is found), then printed in C++ order: return type, name, parameters, qualifiers.
// in_local_name: the function around a local name, printed without its return type.
// in_address: the operand of `ad`, printed as c++filt prints `&f`.
bool Demangler::encoding(bool in_local_name, bool in_address) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    // The template arguments of an encoding inside another one (`L_Z...E`, a local name's
    // function) go above the outer ones, which stay valid for the rest of the outer encoding.
    nk::usize outer_base = m_arg_base, outer_count = m_arg_count;
    m_arg_base += m_arg_count;
    m_arg_count = 0;
    bool ok = encoding_body(in_local_name, in_address);
    m_arg_base = outer_base;
    m_arg_count = outer_count;
    return ok;
}

bool Demangler::encoding_body(bool in_local_name, bool in_address) {
    nk::usize name_begin = m_pos;
    NameInfo info;
    nk::usize types_begin, params_begin;
    bool has_return = false;
    {
        Quiet quiet(*this);
        if (!name(info, true))
            return false;
        types_begin = params_begin = m_pos;
        if (!at_encoding_end()) {
            has_return = info.is_template && !info.no_return_type;
            if (has_return && !type())
                return false;
            params_begin = m_pos;
            if (!parameters(false))
                return false;
        }
    }
    nk::usize end = m_pos;
    bool is_function = end != types_begin;
    bool name_only = false;
    bool parenthesize = false;
    if (in_address) {
        // libiberty drops the parameters of a qualified function (`&A::f`) and wraps anything
        // that is not a plain or qualified name in parentheses (`&(g())`).
        bool plain = (info.kind == NameKind::Unqualified || info.kind == NameKind::Qualified) &&
                     !info.is_template;
        name_only =
            is_function && plain && info.kind == NameKind::Qualified && !info.cv[0] && !info.ref;
        parenthesize = !(plain && (!is_function || name_only));
    }

    // Print: everything read above is replayed, so the table does not change.
    Replay replay(*this, name_begin, m_limit);
    if (parenthesize)
        put('(');
    if (has_return && !name_only && !in_local_name) {
        m_pos = types_begin;
        bool complex = false;
        if (!type(&complex) || complex)
            return false; // a function returning a function pointer: nested declarators
        put(' ');
    }
    m_pos = name_begin;
    NameInfo again;
    if (!name(again, true))
        return false;
    if (is_function && !name_only) {
        m_pos = params_begin;
        if (!parameters(false))
            return false;
        for (int i = 2; i >= 0; --i) {
            if (info.cv[i] == 'K')
                put(" const");
            else if (info.cv[i] == 'V')
                put(" volatile");
            else if (info.cv[i] == 'r')
                put(" restrict");
        }
        if (info.ref)
            put(info.ref == 'R' ? " &" : " &&");
    }
    if (parenthesize)
        put(')');
    return true; // the replay puts the position back at the end
}

// <name>: nested, local, or unscoped (possibly a template, possibly after `St`).
// record: template arguments read here are the function's (what T_ refers to).
bool Demangler::name(NameInfo& info, bool record) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    char c = peek();
    if (c == 'N')
        return nested_name(info, record);
    if (c == 'Z')
        return local_name(info, record);
    nk::usize begin = m_pos;
    if (c == 'S' && peek(1) != 't') {
        // A substitution naming a template (`S_IiE`), or a std abbreviation.
        if (!substitution(nullptr))
            return false;
        info = {};
        info.kind = NameKind::Other;
        if (peek() == 'I') {
            if (!template_args(record))
                return false;
            info.is_template = true;
        }
        return true;
    }
    if (consume('S', 't')) {
        put("std::");
        if (!unqualified_name(info))
            return false;
        info.kind = NameKind::Qualified;
    } else {
        if (!unqualified_name(info))
            return false;
        info.kind = NameKind::Unqualified;
    }
    if (peek() == 'I') {
        if (info.conversion)
            return false;
        add_candidate(EntryKind::Prefix, begin); // <unscoped-template-name>
        if (!template_args(record))
            return false;
        info.is_template = true;
    }
    return true;
}

// <nested-name> ::= N [<CV-qualifiers>] [<ref-qualifier>] <prefix> <unqualified-name> E
bool Demangler::nested_name(NameInfo& info, bool record) {
    if (!consume('N'))
        return false;
    info = {};
    for (int i = 0; i < 3 && is_cv(peek()); ++i)
        info.cv[i] = m_in[m_pos++];
    if (peek() == 'R' || peek() == 'O')
        info.ref = m_in[m_pos++];
    NameInfo last;
    if (!prefix_components(last, record) || !consume('E'))
        return false;
    info.kind = NameKind::Qualified;
    info.is_template = last.is_template;
    info.no_return_type = last.no_return_type;
    return true;
}

// The components of a nested name, up to its E (or a replayed prefix's end), printed with ::
// between them. Each prefix is a substitution candidate, except one that came from the table
// and the whole name (ABI §5.1.10; libiberty's d_prefix).
bool Demangler::prefix_components(NameInfo& info, bool record) {
    nk::usize begin = m_pos;
    bool any = false;
    for (;;) {
        char c = peek();
        if (c == 'E' || c == '\0')
            break;
        bool from_table = false;
        if (c == 'I') {
            // A template conversion operator's type refers to its own template arguments,
            // which come after it: refused.
            if (!any || info.conversion || !template_args(record))
                return false;
            info.is_template = true;
        } else if (c == 'M') {
            // A lambda in a variable's initializer: its scope is the variable, printed as is.
            if (!any)
                return false;
            ++m_pos;
            continue;
        } else {
            if (any)
                put("::");
            if (c == 'S') {
                if (!substitution(nullptr))
                    return false;
                from_table = true;
                info.is_template = false;
                info.no_return_type = false;
            } else if (c == 'T') {
                if (!template_param(nullptr))
                    return false;
                info.is_template = false;
                info.no_return_type = false;
            } else if (c == 'D' && (peek(1) == 'T' || peek(1) == 't')) {
                return false; // decltype
            } else if (!unqualified_name(info)) {
                return false;
            }
        }
        any = true;
        if (!from_table && peek() != 'E')
            add_candidate(EntryKind::Prefix, begin);
    }
    return any;
}

// <local-name> ::= Z <encoding> E <entity name> [<discriminator>]
//              ::= Z <encoding> E s [<discriminator>]
bool Demangler::local_name(NameInfo& info, bool record) {
    if (!consume('Z') || !encoding(true, false) || !consume('E'))
        return false;
    put("::");
    info = {};
    if (consume('s')) {
        put("string literal");
        info.kind = NameKind::Other;
        return discriminator();
    }
    if (peek() == 'd')
        return false; // default argument scope
    if (!name(info, record))
        return false;
    info.kind = NameKind::Other;
    return discriminator();
}

// <discriminator> ::= _ <digit> | __ <number> _ (not printed).
bool Demangler::discriminator() {
    if (!consume('_'))
        return true;
    bool long_form = consume('_');
    nk::u32 value;
    if (!number(value))
        return false;
    if (long_form && value >= 10 && !consume('_'))
        return false;
    return true;
}

bool Demangler::unqualified_name(NameInfo& info) {
    info.is_template = false;
    info.no_return_type = false;
    info.conversion = false;
    char c = peek();
    if (is_digit(c)) {
        if (!source_name(true))
            return false;
    } else if (c == 'L') {
        // Internal linkage at namespace scope (`_ZL5g_ops`), printed like any name.
        ++m_pos;
        if (!source_name(true) || !discriminator())
            return false;
    } else if (is_lower(c)) {
        if (!operator_name(info))
            return false;
    } else if (c == 'C' || c == 'D') {
        // Constructors C1-C5, destructors D0-D2, D4, D5: the class's own name again.
        char kind = peek(1);
        bool valid = c == 'C' ? kind >= '1' && kind <= '5'
                              : (kind >= '0' && kind <= '2') || kind == '4' || kind == '5';
        if (!valid || !m_last_name)
            return false;
        m_pos += 2;
        if (c == 'D')
            put('~');
        put(m_last_name, m_last_name_length);
        info.no_return_type = true;
    } else if (c == 'U') {
        if (!unnamed_type())
            return false;
    } else {
        return false;
    }
    // ABI tags (§5.1.2): `B5cxx11`.
    while (consume('B')) {
        put("[abi:");
        if (!source_name(false))
            return false;
        put(']');
    }
    return true;
}

// <source-name> ::= <length> <identifier>
bool Demangler::source_name(bool sets_last_name) {
    nk::u32 length;
    if (!number(length) || length == 0 || m_pos > m_limit || length > m_limit - m_pos)
        return false;
    const char* text = m_in + m_pos;
    m_pos += length;
    // GCC's name for an anonymous namespace: _GLOBAL_ then one of . _ $, then N.
    if (length >= 10 && memcmp(text, "_GLOBAL_", 8) == 0 &&
        (text[8] == '.' || text[8] == '_' || text[8] == '$') && text[9] == 'N') {
        put("(anonymous namespace)");
    } else {
        put(text, length);
    }
    if (sets_last_name) {
        m_last_name = text;
        m_last_name_length = length;
    }
    return true;
}

bool Demangler::operator_name(NameInfo& info) {
    if (consume('c', 'v')) {
        put("operator ");
        info.no_return_type = true;
        info.conversion = true;
        return type();
    }
    if (consume('l', 'i')) {
        put("operator\"\" ");
        return source_name(false);
    }
    for (const Operator& op : OPERATORS) {
        if (peek() == op.code[0] && peek(1) == op.code[1]) {
            m_pos += 2;
            put("operator");
            if (is_lower(op.name[0]))
                put(' ');
            put(op.name);
            return true;
        }
    }
    return false;
}

// <unnamed-type-name> ::= Ut [<number>] _ | Ul <lambda-sig> E [<number>] _
bool Demangler::unnamed_type() {
    bool lambda;
    if (consume('U', 't'))
        lambda = false;
    else if (consume('U', 'l'))
        lambda = true;
    else
        return false;
    if (lambda) {
        put("{lambda");
        // A generic lambda's `auto` parameters are mangled as template parameters of its own.
        ++m_in_lambda;
        bool ok = parameters(true);
        --m_in_lambda;
        if (!ok || !consume('E'))
            return false;
    } else {
        put("{unnamed type");
    }
    nk::u32 ordinal = 1;
    if (is_digit(peek())) {
        if (!number(ordinal))
            return false;
        ordinal += 2;
    }
    if (!consume('_'))
        return false;
    put('#');
    put_number(ordinal);
    put('}');
    return true;
}

// <substitution> ::= S_ | S <seq-id> _ | St | Sa | Sb | Ss | Si | So | Sd
bool Demangler::substitution(Declarator* decl) {
    if (!consume('S'))
        return false;
    char c = peek();
    if (c == '_' || is_digit(c) || is_upper(c)) {
        nk::usize index = 0;
        if (c != '_') {
            // seq-id: base 36, digits then capitals; S_ is entry 0, S0_ entry 1.
            while (peek() != '_') {
                char d = peek();
                nk::usize digit;
                if (is_digit(d))
                    digit = nk::usize(d - '0');
                else if (is_upper(d))
                    digit = nk::usize(d - 'A') + 10;
                else
                    return false;
                index = index * 36 + digit;
                if (index >= MAX_SUBSTITUTIONS)
                    return false;
                ++m_pos;
            }
            ++index;
        }
        ++m_pos; // the _
        if (index >= m_entry_count)
            return false;
        return replay_entry(index, decl);
    }
    for (const StdAbbreviation& abbreviation : STD_ABBREVIATIONS) {
        if (abbreviation.code != c)
            continue;
        ++m_pos;
        put(abbreviation.name);
        if (abbreviation.last_name) {
            m_last_name = abbreviation.last_name;
            m_last_name_length = strlen(abbreviation.last_name);
        }
        return true;
    }
    return false;
}

// Prints substitution candidate `index` again. A type replayed inside a declarator joins it
// (so `PS_` with S_ = `KFvvE` becomes one declarator); anywhere else it is printed whole.
bool Demangler::replay_entry(nk::usize index, Declarator* decl) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    const Entry& entry = m_entries[index];
    Replay replay(*this, entry.span.begin, entry.span.end);
    bool ok;
    if (entry.kind == EntryKind::Type) {
        ok = decl ? type_in(*decl) : type();
    } else {
        NameInfo info;
        ok = prefix_components(info, false);
    }
    return ok && m_pos == entry.span.end;
}

// <template-param> ::= T_ | T <number> _, resolved to the function's template argument.
bool Demangler::template_param(Declarator* decl) {
    if (!consume('T'))
        return false;
    nk::u32 index = 0;
    if (!consume('_')) {
        if (!number(index) || !consume('_'))
            return false;
        ++index;
    }
    if (m_in_lambda > 0) {
        put("auto:");
        put_number(index + 1);
        return true;
    }
    if (index >= m_arg_count)
        return false;
    Span arg = m_args[m_arg_base + index];
    if (m_in[arg.begin] != 'J')
        return replay_template_arg(arg.begin, arg.end, decl);

    // An argument pack: inside a pack expansion, the element being expanded.
    Nest nest(*this);
    if (!nest.ok())
        return false;
    Replay replay(*this, arg.begin + 1, arg.end - 1);
    nk::usize element = 0;
    while (peek() != '\0') {
        nk::usize begin = m_pos;
        {
            Quiet quiet(*this);
            if (!template_arg())
                return false;
        }
        if (!m_probing_pack && element == m_pack_index)
            return replay_template_arg(begin, m_pos, decl);
        ++element;
    }
    if (!m_probing_pack)
        return false; // past the end of the pack
    if (m_found_pack && m_pack_length != element)
        return false; // two packs of different lengths in one expansion
    m_found_pack = true;
    m_pack_length = element;
    return true;
}

bool Demangler::replay_template_arg(nk::usize begin, nk::usize end, Declarator* decl) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    Replay replay(*this, begin, end);
    char c = peek();
    bool ok;
    if (c == 'L' || c == 'X') {
        // A value: fine in an expression or a prefix, meaningless under a modifier.
        if (decl && m_mod_count > decl->first)
            return false;
        ok = template_arg();
    } else {
        ok = decl ? type_in(*decl) : type();
    }
    return ok && m_pos == end;
}

// <template-args> ::= I <template-arg>+ E
bool Demangler::template_args(bool record) {
    Nest nest(*this);
    if (!nest.ok() || !consume('I'))
        return false;
    // A constructor after `A<B>` repeats A, not B.
    const char* last_name = m_last_name;
    nk::usize last_name_length = m_last_name_length;
    if (record)
        m_arg_count = 0;
    if (m_last == '<')
        put(' ');
    put('<');
    List list(*this);
    while (!consume('E')) {
        if (peek() == '\0')
            return false;
        nk::usize begin = m_pos;
        list.before_element();
        if (!template_arg())
            return false;
        list.after_element();
        if (record) {
            if (m_arg_base + m_arg_count == MAX_TEMPLATE_ARGS)
                return false;
            m_args[m_arg_base + m_arg_count++] = {nk::u16(begin), nk::u16(m_pos)};
        }
    }
    list.finish();
    if (m_last == '>')
        put(' ');
    put('>');
    m_last_name = last_name;
    m_last_name_length = last_name_length;
    return true;
}

// <template-arg> ::= <type> | X <expression> E | <expr-primary> | J <template-arg>* E
bool Demangler::template_arg() {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    char c = peek();
    if (c == 'L')
        return literal();
    if (c == 'X') {
        ++m_pos;
        return expression() && consume('E');
    }
    if (c == 'J') {
        ++m_pos;
        List list(*this);
        while (!consume('E')) {
            if (peek() == '\0' || peek() == 'J')
                return false;
            list.before_element();
            if (!template_arg())
                return false;
            list.after_element();
        }
        list.finish();
        return true;
    }
    if (c == 'D' && peek(1) == 'p')
        return pack_expansion(); // `tuple<Args...>` inside a template's signature
    return type();
}

// <expr-primary> ::= L <type> <value> E | L _Z <encoding> E (floating point refused)
bool Demangler::literal() {
    Nest nest(*this);
    if (!nest.ok() || !consume('L'))
        return false;
    if (consume('_', 'Z'))
        return encoding(false, false) && consume('E');
    char c = peek();
    if (c == 'f' || c == 'd' || c == 'e' || c == 'g')
        return false;
    if (consume('D', 'n')) {
        // nullptr: `LDnE` names the type, `LDn0E` the value.
        if (consume('E')) {
            put("decltype(nullptr)");
            return true;
        }
        put("(decltype(nullptr))");
    } else if (const char* suffix = lookup(LITERAL_SUFFIXES, c)) {
        ++m_pos;
        bool negative = consume('n');
        nk::usize begin = m_pos, count;
        if (!digits(count) || !consume('E'))
            return false;
        if (negative)
            put('-');
        put_span(begin, begin + count);
        put(suffix);
        return true;
    } else if (c == 'b' && (peek(1) == '0' || peek(1) == '1') && peek(2) == 'E') {
        put(peek(1) == '1' ? "true" : "false");
        m_pos += 3;
        return true;
    } else {
        // Any other integer type or an enum: a cast.
        put('(');
        if (!type())
            return false;
        put(')');
    }
    bool negative = consume('n');
    nk::usize begin = m_pos, count;
    if (!digits(count) || !consume('E'))
        return false;
    if (negative)
        put('-');
    put_span(begin, begin + count);
    return true;
}

// The expressions g++ writes for template arguments of class type or pointer type:
// literals, template parameters, `ad` (address of) and `tl` (braced initializer).
bool Demangler::expression() {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    char c = peek();
    if (c == 'L')
        return literal();
    if (c == 'T')
        return template_param(nullptr);
    if (consume('a', 'd')) {
        put('&');
        if (consume('L')) {
            if (!consume('_', 'Z'))
                return false;
            return encoding(false, true) && consume('E');
        }
        // Any other operand would need libiberty's parenthesizing rules: refused.
        return false;
    }
    if (consume('t', 'l')) {
        if (!type())
            return false;
        put('{');
        List list(*this);
        while (!consume('E')) {
            if (peek() == '\0')
                return false;
            list.before_element();
            if (!expression())
                return false;
            list.after_element();
        }
        list.finish();
        put('}');
        return true;
    }
    return false;
}

// A whole type, printed. complex: set when it is a function or array type, which cannot stand
// where c++filt would nest declarators (a return type, an array element).
bool Demangler::type(bool* complex) {
    Declarator decl{m_mod_count}; // type_in() counts the depth for both
    bool ok = type_in(decl) && (decl.rendered || render(decl.first, m_mod_count));
    if (complex)
        *complex = decl.base != BaseKind::Plain;
    m_mod_count = decl.first;
    return ok;
}

bool Demangler::push_modifier(Declarator& decl, char kind, bool starts, nk::usize begin, Span cls,
                              bool& pushed) {
    pushed = false;
    // A cv-qualifier already pending right outside is not repeated: T_ const with T_ = int const
    // prints `int const` (libiberty does the same).
    if (is_cv(kind)) {
        for (nk::usize i = m_mod_count; i > decl.first && is_cv(m_mods[i - 1].kind); --i) {
            if (m_mods[i - 1].kind == kind)
                return true;
        }
    }
    // References to references collapse, as when T_ = int& meets T_&& (libiberty does it too).
    if ((kind == 'R' || kind == 'O') && m_mod_count > decl.first && m_replay > 0) {
        Modifier& top = m_mods[m_mod_count - 1];
        if (top.kind == 'R' || top.kind == 'O') {
            if (kind == 'R')
                top.kind = 'R';
            return true;
        }
    }
    if (m_mod_count == MAX_MODIFIERS)
        return false;
    m_mods[m_mod_count++] = {kind, starts, nk::u16(begin), cls};
    pushed = true;
    return true;
}

// <type> (ABI §5.1.5): modifiers, then the base. Every type is a substitution candidate except
// builtins and ones taken from the table; so is each modified type, innermost first.
bool Demangler::type_in(Declarator& decl) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    nk::usize first = m_mod_count;
    for (;;) {
        char c = peek();
        bool pushed;
        if (c == 'P' || c == 'R' || c == 'O') {
            if (!push_modifier(decl, c, true, m_pos, {}, pushed))
                return false;
            ++m_pos;
        } else if (is_cv(c)) {
            nk::usize begin = m_pos;
            bool started = false;
            while (is_cv(peek())) {
                if (!push_modifier(decl, peek(), !started, begin, {}, pushed))
                    return false;
                started = started || pushed;
                ++m_pos;
            }
        } else if (c == 'M') {
            nk::usize begin = m_pos++;
            nk::usize class_begin = m_pos;
            {
                Quiet quiet(*this);
                if (!type())
                    return false;
            }
            if (!push_modifier(decl, 'M', true, begin, {nk::u16(class_begin), nk::u16(m_pos)},
                               pushed))
                return false;
        } else {
            break;
        }
    }
    nk::usize own = m_mod_count; // a replay below may add more; they are not candidates here

    nk::usize begin = m_pos;
    bool candidate = true;
    char c = peek();
    NameInfo info;
    if (const char* builtin = lookup(BUILTIN_TYPES, c)) {
        ++m_pos;
        put(builtin);
        candidate = false;
    } else if (c == 'D' && lookup(D_BUILTIN_TYPES, peek(1))) {
        put(lookup(D_BUILTIN_TYPES, peek(1)));
        m_pos += 2;
        candidate = false;
    } else if (consume('D', 'F')) {
        // _FloatN
        nk::usize digits_begin = m_pos, count;
        if (!digits(count) || !consume('_'))
            return false;
        put("_Float");
        put_span(digits_begin, digits_begin + count);
        candidate = false;
    } else if (c == 'u') {
        ++m_pos; // a vendor's builtin type
        if (!source_name(false))
            return false;
    } else if (c == 'F') {
        if (!function_type(decl))
            return false;
        // `KFvvE` is a const member function type; the bare `FvvE` inside it is no candidate
        // (libiberty's reading of ABI §5.1.10 on member function types).
        candidate = !(own > first && is_cv(m_mods[own - 1].kind));
    } else if (c == 'A') {
        if (!array_type(decl))
            return false;
    } else if (c == 'T') {
        if (!template_param(&decl))
            return false;
        if (peek() == 'I') {
            // A template template parameter with its arguments: T_ is a candidate by itself.
            add_candidate(EntryKind::Type, begin);
            if (!template_args(false))
                return false;
        }
    } else if (c == 'S' && (peek(1) == '_' || is_digit(peek(1)) || is_upper(peek(1)))) {
        if (!substitution(&decl))
            return false;
        if (peek() == 'I') {
            if (!template_args(false))
                return false;
        } else {
            candidate = false;
        }
    } else if (c == 'S' && peek(1) != 't') {
        // `Sa`, `SaIcE`: a std abbreviation is a candidate only with template arguments.
        if (!substitution(nullptr))
            return false;
        if (peek() == 'I') {
            if (!template_args(false))
                return false;
        } else {
            candidate = false;
        }
    } else if (c == 'N' || c == 'Z' || c == 'S' || is_digit(c)) {
        if (!name(info, false))
            return false;
    } else {
        return false; // decltype, pack expansion outside a parameter list, vector, vendor...
    }

    if (candidate)
        add_candidate(EntryKind::Type, begin);
    for (nk::usize i = own; i > first; --i) {
        if (m_mods[i - 1].starts_candidate)
            add_candidate(EntryKind::Type, m_mods[i - 1].candidate_begin);
    }
    return true;
}

// <function-type> ::= F [Y] <return type> <parameter types> [<ref-qualifier>] E, printed as
// `ret (modifiers)(params) cv ref`. The cv-qualifiers right around it are the function's own.
bool Demangler::function_type(Declarator& decl) {
    Nest nest(*this);
    if (!nest.ok() || !consume('F'))
        return false;
    consume('Y'); // extern "C"
    bool complex = false;
    if (!type(&complex) || complex)
        return false;
    put(' ');
    nk::usize qualifiers = m_mod_count;
    while (qualifiers > decl.first && is_cv(m_mods[qualifiers - 1].kind))
        --qualifiers;
    if (qualifiers > decl.first) {
        put('(');
        if (!render(decl.first, qualifiers))
            return false;
        put(')');
    }
    if (!parameters(true))
        return false;
    char ref = 0;
    if ((peek() == 'R' || peek() == 'O') && peek(1) == 'E')
        ref = m_in[m_pos++];
    if (!consume('E') || !render(qualifiers, m_mod_count))
        return false;
    if (ref)
        put(ref == 'R' ? " &" : " &&");
    decl.base = BaseKind::Function;
    decl.rendered = true;
    return true;
}

// <array-type> ::= A [<dimension>] _ <element type>, printed as `elem cv (modifiers) [n][m]`.
bool Demangler::array_type(Declarator& decl) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    nk::usize starts[MAX_ARRAY_DIMENSIONS];
    Span dimensions[MAX_ARRAY_DIMENSIONS];
    bool expression_dimension[MAX_ARRAY_DIMENSIONS];
    nk::usize count = 0;
    while (peek() == 'A') {
        if (count == MAX_ARRAY_DIMENSIONS)
            return false;
        starts[count] = m_pos++;
        nk::usize begin = m_pos;
        expression_dimension[count] = false;
        if (is_digit(peek())) {
            nk::usize length;
            if (!digits(length))
                return false;
        } else if (peek() != '_') {
            Quiet quiet(*this);
            if (!expression())
                return false;
            expression_dimension[count] = true;
        }
        dimensions[count++] = {nk::u16(begin), nk::u16(m_pos)};
        if (!consume('_'))
            return false;
    }
    bool complex = false;
    if (!type(&complex) || complex)
        return false;
    for (nk::usize i = count; i > 1; --i)
        add_candidate(EntryKind::Type, starts[i - 1]);

    nk::usize qualifiers = m_mod_count;
    while (qualifiers > decl.first && is_cv(m_mods[qualifiers - 1].kind))
        --qualifiers;
    if (!render(qualifiers, m_mod_count))
        return false;
    if (qualifiers > decl.first) {
        put(" (");
        if (!render(decl.first, qualifiers))
            return false;
        put(')');
    }
    put(' ');
    for (nk::usize i = 0; i < count; ++i) {
        put('[');
        if (expression_dimension[i]) {
            Replay replay(*this, dimensions[i].begin, dimensions[i].end);
            if (!expression())
                return false;
        } else {
            put_span(dimensions[i].begin, dimensions[i].end);
        }
        put(']');
    }
    decl.base = BaseKind::Array;
    decl.rendered = true;
    return true;
}

// A parameter list, printed in parentheses; `v` alone is `()`. Ends at the encoding's end, or
// for a function type or lambda at E (or the function type's ref-qualifier).
bool Demangler::parameters(bool in_function_type) {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    auto done = [&](nk::usize ahead) {
        if (!in_function_type) {
            char c = peek(ahead);
            return c == '\0' || c == 'E' || c == '.';
        }
        char c = peek(ahead);
        return c == 'E' || c == '\0' || ((c == 'R' || c == 'O') && peek(ahead + 1) == 'E');
    };
    if (done(0))
        return false;
    put('(');
    if (peek() == 'v' && done(1)) {
        ++m_pos;
    } else {
        List list(*this);
        while (!done(0)) {
            list.before_element();
            bool ok = peek() == 'D' && peek(1) == 'p' ? pack_expansion() : type();
            if (!ok)
                return false;
            list.after_element();
        }
        list.finish();
    }
    put(')');
    return true;
}

// Dp <type>: the pattern once per element of the pack it mentions, `int&&, char const*&&`.
bool Demangler::pack_expansion() {
    Nest nest(*this);
    if (!nest.ok())
        return false;
    nk::usize begin = m_pos;
    m_pos += 2;
    nk::usize pattern = m_pos;
    bool probing = m_probing_pack, found = m_found_pack;
    nk::usize length = m_pack_length;
    m_probing_pack = true;
    m_found_pack = false;
    bool ok;
    {
        Quiet quiet(*this);
        ok = type();
    }
    bool found_pack = m_found_pack;
    nk::usize pack_length = m_pack_length;
    m_probing_pack = probing;
    m_found_pack = found;
    m_pack_length = length;
    if (!ok || !found_pack)
        return false;
    add_candidate(EntryKind::Type, begin);
    nk::usize end = m_pos;
    // Like libiberty, the index stays at the last element afterwards (a later S_ for T_ then
    // names that element).
    for (nk::usize i = 0; i < pack_length; ++i) {
        if (i > 0)
            put(", ");
        m_pack_index = i;
        Replay replay(*this, pattern, end);
        if (!type() || m_pos != end)
            return false;
    }
    return true;
}

// Prints modifiers [from, to) innermost first.
bool Demangler::render(nk::usize from, nk::usize to) {
    for (nk::usize i = to; i > from; --i) {
        const Modifier& mod = m_mods[i - 1];
        switch (mod.kind) {
        case 'P':
            put('*');
            break;
        case 'R':
            put('&');
            break;
        case 'O':
            put("&&");
            break;
        case 'K':
            put(" const");
            break;
        case 'V':
            put(" volatile");
            break;
        case 'r':
            put(" restrict");
            break;
        case 'M': {
            if (m_last != '(')
                put(' ');
            Replay replay(*this, mod.member_class.begin, mod.member_class.end);
            if (!type()) // read before, but may now be too deep
                return false;
            put("::*");
            break;
        }
        default:
            break;
        }
    }
    return true;
}

} // namespace

bool demangle(const char* mangled, char* out, nk::usize out_size) {
    if (!out)
        out_size = 0;
    if (!mangled)
        mangled = "";
    nk::usize length = strnlen(mangled, MAX_INPUT + 1);
    if (length <= MAX_INPUT && length > 2 && mangled[0] == '_' && mangled[1] == 'Z') {
        Demangler demangler(mangled + 2, length - 2, out, out_size);
        if (demangler.run()) {
            demangler.terminate();
            return true;
        }
    }
    if (out_size > 0) {
        nk::usize copied = 0;
        while (copied + 1 < out_size && mangled[copied] != '\0') {
            out[copied] = mangled[copied];
            ++copied;
        }
        out[copied] = '\0';
    }
    return false;
}

} // namespace kernel::debug
