// The demangler, second half: template arguments, literals, expressions, types and their
// declarators, parameter lists, pack expansions.
#include <kernel/debug/demangler.h>

namespace kernel::debug::detail {

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

} // namespace kernel::debug::detail
