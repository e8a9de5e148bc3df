#include <format.h>
#include <nk_ctype.h>
#include <nk_string.h>

namespace nk {

namespace {

enum class Length { Default, Char, Short, Long, LongLong, Size, PointerDifference, Max };

struct Spec {
    bool left_align = false;
    bool zero_pad = false;
    bool plus_sign = false;
    bool space_sign = false;
    bool alternate = false;
    usize width = 0;
    bool has_precision = false;
    usize precision = 0;
    Length length = Length::Default;
};

// Widths and precisions beyond this are clamped: they could only come from a bug, and the clamp
// keeps the arithmetic below from overflowing.
constexpr usize MAX_FIELD = 1u << 20;

class Writer {
public:
    Writer(FormatSink sink, void* context) : m_sink(sink), m_context(context) {}

    void write(const char* data, usize length) {
        if (length == 0)
            return;
        m_sink(m_context, data, length);
        m_count += length;
    }

    // Padding goes out in chunks so that a wide field is a few sink calls, not one per character.
    void repeat(char character, usize count) {
        static constexpr char spaces[] = "                                ";
        static constexpr char zeros[] = "00000000000000000000000000000000";
        const char* chunk = character == '0' ? zeros : spaces;
        constexpr usize chunk_size = sizeof(spaces) - 1;
        while (count > 0) {
            usize piece = min(count, chunk_size);
            write(chunk, piece);
            count -= piece;
        }
    }

    usize count() const { return m_count; }

private:
    FormatSink m_sink;
    void* m_context;
    usize m_count = 0;
};

bool apply_flag(Spec& spec, char flag) {
    switch (flag) {
    case '-':
        spec.left_align = true;
        return true;
    case '0':
        spec.zero_pad = true;
        return true;
    case '+':
        spec.plus_sign = true;
        return true;
    case ' ':
        spec.space_sign = true;
        return true;
    case '#':
        spec.alternate = true;
        return true;
    default:
        return false;
    }
}

usize parse_decimal(const char*& p) {
    usize value = 0;
    while (is_digit(*p)) {
        value = min<usize>(value * 10 + usize(*p - '0'), MAX_FIELD);
        ++p;
    }
    return value;
}

Length parse_length(const char*& p) {
    switch (*p) {
    case 'h':
        ++p;
        if (*p == 'h') {
            ++p;
            return Length::Char;
        }
        return Length::Short;
    case 'l':
        ++p;
        if (*p == 'l') {
            ++p;
            return Length::LongLong;
        }
        return Length::Long;
    case 'z':
        ++p;
        return Length::Size;
    case 't':
        ++p;
        return Length::PointerDifference;
    case 'j':
        ++p;
        return Length::Max;
    default:
        return Length::Default;
    }
}

// Arguments narrower than int arrive promoted to int and are narrowed back here, as C specifies
// for hh and h.
i64 read_signed(Length length, va_list* args) {
    switch (length) {
    case Length::Char:
        return static_cast<signed char>(va_arg(*args, int));
    case Length::Short:
        return static_cast<short>(va_arg(*args, int));
    case Length::Long:
        return va_arg(*args, long);
    case Length::LongLong:
        return va_arg(*args, long long);
    case Length::Size:
    case Length::PointerDifference:
        return va_arg(*args, ptrdiff_t);
    case Length::Max:
        return va_arg(*args, intmax_t);
    case Length::Default:
        break;
    }
    return va_arg(*args, int);
}

u64 read_unsigned(Length length, va_list* args) {
    switch (length) {
    case Length::Char:
        return static_cast<unsigned char>(va_arg(*args, unsigned));
    case Length::Short:
        return static_cast<unsigned short>(va_arg(*args, unsigned));
    case Length::Long:
        return va_arg(*args, unsigned long);
    case Length::LongLong:
        return va_arg(*args, unsigned long long);
    case Length::Size:
    case Length::PointerDifference:
        return va_arg(*args, size_t);
    case Length::Max:
        return va_arg(*args, uintmax_t);
    case Length::Default:
        break;
    }
    return va_arg(*args, unsigned);
}

void write_padded(Writer& out, const Spec& spec, const char* data, usize length) {
    usize padding = spec.width > length ? spec.width - length : 0;
    if (!spec.left_align)
        out.repeat(' ', padding);
    out.write(data, length);
    if (spec.left_align)
        out.repeat(' ', padding);
}

// Lays out [spaces][prefix][zeros][digits][spaces] following C's rules for the integer
// conversions: precision is the minimum digit count and disables the 0 flag; precision 0 with
// value 0 prints no digits at all.
void write_integer(Writer& out, const Spec& spec, u64 magnitude, bool negative, unsigned base,
                   bool uppercase, bool is_signed, bool is_pointer) {
    const char* digit_chars = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    char buffer[24]; // 22 octal digits hold 64 bits
    char* digits_end = buffer + sizeof(buffer);
    char* digits = digits_end;
    if (magnitude != 0 || !spec.has_precision || spec.precision != 0) {
        for (u64 rest = magnitude;; rest /= base) {
            *--digits = digit_chars[rest % base];
            if (rest < base)
                break;
        }
    }
    usize digit_count = usize(digits_end - digits);

    char prefix[2];
    usize prefix_length = 0;
    if (is_signed) {
        if (negative)
            prefix[prefix_length++] = '-';
        else if (spec.plus_sign)
            prefix[prefix_length++] = '+';
        else if (spec.space_sign)
            prefix[prefix_length++] = ' ';
    }
    if (is_pointer || (base == 16 && spec.alternate && magnitude != 0)) {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = uppercase ? 'X' : 'x';
    }

    usize zeros = spec.precision > digit_count ? spec.precision - digit_count : 0;
    // "#o" guarantees a leading zero digit, by raising the precision if it has to.
    if (base == 8 && spec.alternate && zeros == 0 && (digit_count == 0 || digits[0] != '0'))
        zeros = 1;
    usize body = prefix_length + zeros + digit_count;
    if (spec.zero_pad && !spec.left_align && !spec.has_precision && spec.width > body) {
        zeros += spec.width - body;
        body = spec.width;
    }
    usize padding = spec.width > body ? spec.width - body : 0;

    if (!spec.left_align)
        out.repeat(' ', padding);
    out.write(prefix, prefix_length);
    out.repeat('0', zeros);
    out.write(digits, digit_count);
    if (spec.left_align)
        out.repeat(' ', padding);
}

struct BufferTarget {
    char* buffer;
    usize capacity; // excludes the terminating NUL
    usize used;
};

void write_to_buffer(void* context, const char* data, usize length) {
    auto* target = static_cast<BufferTarget*>(context);
    if (target->used >= target->capacity)
        return;
    usize piece = min(length, target->capacity - target->used);
    copy_memory(target->buffer + target->used, data, piece);
    target->used += piece;
}

} // namespace

int vformat(FormatSink sink, void* context, const char* format, va_list caller_args) {
    // A copy we can pass by pointer: va_list is an array type on x86_64, which makes passing the
    // parameter itself to helpers non-portable.
    va_list args;
    va_copy(args, caller_args);
    Writer out(sink, context);

    const char* p = format;
    while (*p != '\0') {
        if (*p != '%') {
            const char* run = p;
            while (*p != '\0' && *p != '%')
                ++p;
            out.write(run, usize(p - run));
            continue;
        }

        const char* spec_start = p++;
        Spec spec;
        while (apply_flag(spec, *p))
            ++p;
        if (*p == '*') {
            ++p;
            int width = va_arg(args, int);
            // A negative * width is the - flag and the absolute value.
            if (width < 0) {
                spec.left_align = true;
                spec.width = min<usize>(-static_cast<i64>(width), MAX_FIELD);
            } else {
                spec.width = min<usize>(usize(width), MAX_FIELD);
            }
        } else {
            spec.width = parse_decimal(p);
        }
        if (*p == '.') {
            ++p;
            if (*p == '*') {
                ++p;
                int precision = va_arg(args, int);
                // A negative * precision counts as none given.
                spec.has_precision = precision >= 0;
                spec.precision = spec.has_precision ? min<usize>(usize(precision), MAX_FIELD) : 0;
            } else {
                spec.has_precision = true;
                spec.precision = parse_decimal(p);
            }
        }
        spec.length = parse_length(p);

        char conversion = *p;
        if (conversion == '\0') {
            // A truncated specification at the end of the format: show it as written.
            out.write(spec_start, usize(p - spec_start));
            break;
        }
        ++p;

        switch (conversion) {
        case 'd':
        case 'i': {
            i64 value = read_signed(spec.length, &args);
            u64 magnitude = value < 0 ? u64(0) - u64(value) : u64(value);
            write_integer(out, spec, magnitude, value < 0, 10, false, true, false);
            break;
        }
        case 'u':
            write_integer(out, spec, read_unsigned(spec.length, &args), false, 10, false, false,
                          false);
            break;
        case 'x':
        case 'X':
            write_integer(out, spec, read_unsigned(spec.length, &args), false, 16,
                          conversion == 'X', false, false);
            break;
        case 'o':
            write_integer(out, spec, read_unsigned(spec.length, &args), false, 8, false, false,
                          false);
            break;
        case 'p': {
            auto address = reinterpret_cast<uptr>(va_arg(args, void*));
            Spec pointer_spec = spec;
            pointer_spec.has_precision = true;
            pointer_spec.precision = 16;
            write_integer(out, pointer_spec, address, false, 16, false, false, true);
            break;
        }
        case 's': {
            const char* string = va_arg(args, const char*);
            if (string == nullptr)
                string = "(null)";
            // With a precision the string need not be terminated, so never read beyond it.
            usize length = spec.has_precision ? string_length_bounded(string, spec.precision)
                                              : string_length(string);
            write_padded(out, spec, string, length);
            break;
        }
        case 'c': {
            char character = static_cast<char>(va_arg(args, int));
            write_padded(out, spec, &character, 1);
            break;
        }
        case '%':
            out.write("%", 1);
            break;
        case 'n':
            // Writing through a pointer taken from a format string is an exploit primitive.
            (void)va_arg(args, void*);
            break;
        default:
            out.write(spec_start, usize(p - spec_start));
            break;
        }
    }

    va_end(args);
    constexpr usize int_max = ~0u >> 1;
    return int(min(out.count(), int_max));
}

int format(FormatSink sink, void* context, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int count = vformat(sink, context, format, args);
    va_end(args);
    return count;
}

int vformat_to_buffer(char* buffer, usize size, const char* format, va_list args) {
    BufferTarget target{buffer, size > 0 ? size - 1 : 0, 0};
    int count = vformat(write_to_buffer, &target, format, args);
    if (size > 0)
        buffer[target.used] = '\0';
    return count;
}

int format_to_buffer(char* buffer, usize size, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int count = vformat_to_buffer(buffer, size, format, args);
    va_end(args);
    return count;
}

} // namespace nk
