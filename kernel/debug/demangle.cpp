#include <kernel/debug/demangler.h>

namespace kernel::debug {

namespace detail {

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
} // namespace detail

using detail::Demangler;
using detail::MAX_INPUT;

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
