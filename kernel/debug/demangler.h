// The demangler's parser, shared by demangle.cpp (encodings, names, substitutions) and
// demangle_types.cpp (types, template arguments, expressions). Internal to kernel/debug.
#pragma once

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

namespace kernel::debug::detail {

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
inline constexpr Operator OPERATORS[] = {
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
inline constexpr StdAbbreviation STD_ABBREVIATIONS[] = {
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
inline constexpr Code BUILTIN_TYPES[] = {
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
inline constexpr Code D_BUILTIN_TYPES[] = {
    {'n', "decltype(nullptr)"}, {'a', "auto"},     {'c', "decltype(auto)"},
    {'s', "char16_t"},          {'i', "char32_t"}, {'u', "char8_t"},
};

// Integer literals c++filt prints with a suffix (`4096ul`); other types get a cast, `(short)3`.
inline constexpr Code LITERAL_SUFFIXES[] = {
    {'i', ""}, {'j', "u"}, {'l', "l"}, {'m', "ul"}, {'x', "ll"}, {'y', "ull"},
};

template <nk::usize N>
inline const char* lookup(const Code (&table)[N], char code) {
    for (const Code& entry : table) {
        if (entry.code == code)
            return entry.text;
    }
    return nullptr;
}

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
inline bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
inline bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
inline bool is_cv(char c) {
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

} // namespace kernel::debug::detail
