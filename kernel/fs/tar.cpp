#include <kernel/fs/inode.h>
#include <kernel/fs/ref_ptr.h>
#include <kernel/fs/tar.h>
#include <nk/syscall_abi.h>

#include <string.h>

namespace kernel::fs {

using nk::Error;

namespace {

constexpr nk::usize BLOCK_SIZE = 512;

// The ustar header block (POSIX.1-1988; "pax" in POSIX.1-2001, section "ustar Interchange
// Format"). Every field is text; numbers are octal, space- or NUL-terminated.
struct Header {
    char name[100];
    char mode[8];
    char uid[8];
    char gid[8];
    char size[12];
    char mtime[12];
    char checksum[8];
    char typeflag;
    char linkname[100];
    char magic[6]; // "ustar\0" (POSIX) or "ustar " (GNU, with version " \0")
    char version[2];
    char uname[32];
    char gname[32];
    char devmajor[8];
    char devminor[8];
    char prefix[155]; // POSIX only; GNU keeps other data here
    char padding[12];
};
static_assert(sizeof(Header) == BLOCK_SIZE);

// Optional leading spaces, octal digits, then only spaces and NULs to the end of the field.
nk::Result<nk::u64> parse_octal(const char* field, nk::usize width, bool required) {
    nk::usize i = 0;
    while (i < width && field[i] == ' ')
        ++i;
    nk::u64 value = 0;
    nk::usize digits = 0;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i, ++digits) {
        if (value > (UINT64_MAX >> 3))
            return Error::Corrupt;
        value = value * 8 + nk::u64(field[i] - '0');
    }
    for (; i < width; ++i) {
        if (field[i] != ' ' && field[i] != '\0')
            return Error::Corrupt;
    }
    if (digits == 0 && required)
        return Error::Corrupt;
    return value;
}

bool is_zero(const nk::u8* bytes, nk::usize length) {
    for (nk::usize i = 0; i < length; ++i) {
        if (bytes[i])
            return false;
    }
    return true;
}

// The checksum is the sum of the header's bytes with the checksum field read as spaces. POSIX
// says unsigned bytes; some historic tars summed signed ones, so either is accepted.
nk::ErrorOr verify_checksum(const Header& header) {
    nk::u64 stored = TRY(parse_octal(header.checksum, sizeof(header.checksum), true));
    auto* bytes = reinterpret_cast<const nk::u8*>(&header);
    nk::u64 unsigned_sum = 0;
    nk::i64 signed_sum = 0;
    for (nk::usize i = 0; i < BLOCK_SIZE; ++i) {
        bool in_field = i >= offsetof(Header, checksum) &&
                        i < offsetof(Header, checksum) + sizeof(header.checksum);
        nk::u8 byte = in_field ? nk::u8(' ') : bytes[i];
        unsigned_sum += byte;
        signed_sum += nk::i8(byte);
    }
    if (stored != unsigned_sum && nk::i64(stored) != signed_sum)
        return Error::Corrupt;
    return {};
}

nk::ErrorOr validate(const Header& header) {
    TRY(verify_checksum(header));
    if (memcmp(header.magic, "ustar", 5) != 0 ||
        (header.magic[5] != '\0' && header.magic[5] != ' '))
        return Error::Corrupt;
    TRY(parse_octal(header.mode, sizeof(header.mode), false));
    TRY(parse_octal(header.uid, sizeof(header.uid), false));
    TRY(parse_octal(header.gid, sizeof(header.gid), false));
    TRY(parse_octal(header.mtime, sizeof(header.mtime), false));
    TRY(parse_octal(header.devmajor, sizeof(header.devmajor), false));
    TRY(parse_octal(header.devminor, sizeof(header.devminor), false));
    return {};
}

// A member name split into sanitised components, each NUL-terminated in `text`.
struct MemberName {
    static constexpr nk::usize MAX_COMPONENTS = nk::abi::MAX_PATH / 2;
    char text[sizeof(Header::prefix) + 1 + sizeof(Header::name) + 1];
    nk::usize starts[MAX_COMPONENTS];
    nk::usize count = 0;
    bool names_directory = false; // ended in '/'

    const char* component(nk::usize index) const { return text + starts[index]; }
};

nk::ErrorOr parse_name(const Header& header, MemberName& out) {
    // Joined as prefix "/" name; the fields are NUL-terminated unless full.
    nk::usize length = 0;
    bool posix = header.magic[5] == '\0';
    nk::usize prefix_length = posix ? strnlen(header.prefix, sizeof(header.prefix)) : 0;
    if (prefix_length) {
        memcpy(out.text, header.prefix, prefix_length);
        length = prefix_length;
        out.text[length++] = '/';
    }
    nk::usize name_length = strnlen(header.name, sizeof(header.name));
    memcpy(out.text + length, header.name, name_length);
    length += name_length;
    out.text[length] = '\0';
    out.names_directory = length > 0 && out.text[length - 1] == '/';

    // Split in place: every '/' becomes a NUL. Empty and "." components vanish.
    for (nk::usize i = 0; i < length; ++i) {
        if (out.text[i] == '/')
            out.text[i] = '\0';
    }
    nk::usize joined_length = 0;
    nk::usize i = 0;
    while (i < length) {
        while (i < length && out.text[i] == '\0')
            ++i;
        nk::usize start = i;
        while (i < length && out.text[i] != '\0')
            ++i;
        nk::usize component_length = i - start;
        if (component_length == 0 || (component_length == 1 && out.text[start] == '.'))
            continue;
        if (component_length == 2 && out.text[start] == '.' && out.text[start + 1] == '.')
            return Error::Corrupt;
        if (component_length > nk::abi::MAX_NAME - 1)
            return Error::NameTooLong;
        if (out.count == MemberName::MAX_COMPONENTS)
            return Error::NameTooLong;
        joined_length += 1 + component_length;
        out.starts[out.count++] = start;
    }
    if (joined_length > nk::abi::MAX_PATH - 1)
        return Error::NameTooLong;
    return {};
}

// `name` in `directory`, made if missing.
nk::Result<RefPtr<Inode>> ensure_directory(Inode& directory, const char* name) {
    auto found = directory.lookup(name);
    if (found.has_value()) {
        auto inode = RefPtr<Inode>::adopt(found.value());
        if (!inode->is_directory())
            return Error::NotDirectory;
        return inode;
    }
    if (found.error() != Error::NoEntry)
        return found.error();
    return RefPtr<Inode>::adopt(TRY(directory.make_directory(name)));
}

// The directory holding the member's last component (all of them for a directory member).
nk::Result<RefPtr<Inode>> make_parents(Inode& target, const MemberName& name, nk::usize count) {
    RefPtr<Inode> current(target);
    for (nk::usize i = 0; i < count; ++i) {
        RefPtr<Inode> next = TRY(ensure_directory(*current, name.component(i)));
        current = nk::move(next);
    }
    return current;
}

nk::ErrorOr write_file(Inode& target, const MemberName& name, const nk::u8* data, nk::usize size) {
    RefPtr<Inode> parent = TRY(make_parents(target, name, name.count - 1));
    const char* last = name.component(name.count - 1);
    RefPtr<Inode> file;
    bool created = false;
    auto found = parent->lookup(last);
    if (found.has_value()) {
        file = RefPtr<Inode>::adopt(found.value());
        if (file->is_directory())
            return Error::IsDirectory;
        TRY(file->truncate(0));
    } else if (found.error() == Error::NoEntry) {
        file = RefPtr<Inode>::adopt(TRY(parent->create_file(last)));
        created = true;
    } else {
        return found.error();
    }
    nk::usize written = 0;
    while (written < size) {
        auto result = file->write(written, data + written, size - written);
        if (result.is_error() || result.value() == 0) {
            // No half-written file of our own making stays behind.
            if (created) {
                file.clear();
                (void)parent->unlink(last);
            }
            return result.is_error() ? result.error() : Error::NoSpace;
        }
        written += result.value();
    }
    return {};
}

} // namespace

nk::Result<TarSummary> extract_tar(const nk::u8* data, nk::usize size, Inode& target) {
    if (!target.is_directory())
        return Error::NotDirectory;
    TarSummary summary = {};
    nk::usize offset = 0;
    while (offset < size) {
        nk::usize remaining = size - offset;
        if (remaining < BLOCK_SIZE) {
            // Trailing zeros shorter than a block are padding; anything else is a cut header.
            if (is_zero(data + offset, remaining))
                break;
            return Error::Corrupt;
        }
        // The first zero block ends the archive (POSIX asks for two, but the second adds
        // nothing, and tar itself stops at one).
        if (is_zero(data + offset, BLOCK_SIZE))
            break;
        const auto& header = *reinterpret_cast<const Header*>(data + offset);
        TRY(validate(header));
        nk::u64 member_size = TRY(parse_octal(header.size, sizeof(header.size), true));
        nk::usize data_offset = offset + BLOCK_SIZE;

        char type = header.typeflag;
        // Links, devices, FIFOs and directories have no data blocks; every other kind (files,
        // pax 'x'/'g', GNU 'L'/'K', vendor types) does, and is skipped by its size.
        bool has_data = !(type >= '1' && type <= '6');
        nk::usize next = data_offset;
        if (has_data) {
            if (member_size > size - data_offset)
                return Error::Corrupt;
            next = data_offset + nk::usize(nk::align_up(member_size, BLOCK_SIZE));
            // A last member may lack its padding; the buffer ends cleanly after its data.
            if (next > size)
                next = size;
        }

        MemberName name;
        bool regular = type == '0' || type == '\0' || type == '7';
        if (regular || type == '5')
            TRY(parse_name(header, name));
        // Pre-POSIX tars mark a directory as a regular member whose name ends in '/'.
        if (type == '5' || (regular && name.names_directory)) {
            RefPtr<Inode> directory = TRY(make_parents(target, name, name.count));
            ++summary.directories;
        } else if (regular) {
            if (name.count == 0)
                return Error::Corrupt;
            TRY(write_file(target, name, data + data_offset, nk::usize(member_size)));
            ++summary.files;
            summary.bytes += member_size;
        } else {
            ++summary.skipped;
        }
        offset = next;
    }
    return summary;
}

} // namespace kernel::fs
