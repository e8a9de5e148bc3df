// Helpers of the vfat host tests (vfat_image.h).
#include "vfat_image.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace vfat_test {

const Format FORMATS[3] = {
    {12, 4096, ""},
    {16, 32768, ""},
    {32, 65536, "-s 1"},
};

TempDir::TempDir() {
    char name[] = "/tmp/vfat-test-XXXXXX";
    if (!mkdtemp(name))
        throw std::runtime_error("mkdtemp failed");
    m_path = name;
}

TempDir::~TempDir() {
    std::string command = "rm -rf " + quote(m_path);
    if (std::system(command.c_str()) != 0)
        std::fprintf(stderr, "could not remove %s\n", m_path.c_str());
}

std::string quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

Shell run(const std::string& command) {
    std::string full = "MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8 " + command + " 2>&1";
    FILE* pipe = popen(full.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("popen failed");
    Shell result = {0, ""};
    char buffer[4096];
    size_t count;
    while ((count = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        result.output.append(buffer, count);
    int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

Image::Image(const Format& format) {
    m_path = m_dir.path() + "/volume.img";
    Shell made = run("/usr/sbin/mkfs.vfat -F " + std::to_string(format.bits) + " -S 512 " +
                     format.options + " -C " + quote(m_path) + " " + std::to_string(format.kib));
    if (made.status != 0)
        throw std::runtime_error("mkfs.vfat failed: " + made.output);
}

std::string Image::mtools(const std::string& tool, const std::string& arguments) const {
    Shell result = run(tool + " -i " + quote(m_path) + " " + arguments);
    if (result.status != 0)
        throw std::runtime_error(tool + " " + arguments + " failed: " + result.output);
    return result.output;
}

bool Image::fsck_clean(std::string* report) const {
    Shell result = run("/usr/sbin/fsck.fat -n " + quote(m_path));
    if (report)
        *report = result.output;
    return result.status == 0 && result.output.find("differ") == std::string::npos &&
           result.output.find("wrong") == std::string::npos &&
           result.output.find("Free cluster summary") == std::string::npos;
}

std::vector<uint8_t> Image::bytes() const {
    return read_local(m_path);
}

void Image::poke(uint64_t offset, const void* data, size_t length) const {
    int fd = open(m_path.c_str(), O_RDWR);
    if (fd < 0 || pwrite(fd, data, length, off_t(offset)) != ssize_t(length))
        throw std::runtime_error("poke failed");
    close(fd);
}

void Image::peek(uint64_t offset, void* data, size_t length) const {
    int fd = open(m_path.c_str(), O_RDONLY);
    if (fd < 0 || pread(fd, data, length, off_t(offset)) != ssize_t(length))
        throw std::runtime_error("peek failed");
    close(fd);
}

uint64_t Image::size() const {
    struct stat info;
    if (::stat(m_path.c_str(), &info) != 0)
        throw std::runtime_error("stat failed");
    return uint64_t(info.st_size);
}

std::vector<uint8_t> read_local(const std::string& path) {
    std::vector<uint8_t> data;
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        throw std::runtime_error("cannot open " + path);
    uint8_t buffer[65536];
    size_t count;
    while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        data.insert(data.end(), buffer, buffer + count);
    std::fclose(file);
    return data;
}

void write_local(const std::string& path, const std::vector<uint8_t>& data) {
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file || std::fwrite(data.data(), 1, data.size(), file) != data.size())
        throw std::runtime_error("cannot write " + path);
    std::fclose(file);
}

std::vector<uint8_t> pattern(size_t length, uint32_t seed) {
    std::vector<uint8_t> data(length);
    uint32_t state = seed * 2654435761u + 12345;
    for (size_t i = 0; i < length; ++i) {
        state = state * 1103515245u + 12345u;
        data[i] = uint8_t(state >> 16);
    }
    return data;
}

Layout layout_of(const Image& image) {
    uint8_t bs[512];
    image.peek(0, bs, sizeof bs);
    auto le16 = [&](int at) { return uint32_t(bs[at] | (bs[at + 1] << 8)); };
    auto le32 = [&](int at) { return le16(at) | (le16(at + 2) << 16); };
    Layout layout = {};
    layout.bytes_per_sector = le16(11);
    layout.cluster_bytes = bs[13] * layout.bytes_per_sector;
    uint32_t reserved = le16(14);
    layout.fat_count = bs[16];
    uint32_t root_entries = le16(17);
    uint32_t fat_sectors = le16(22) ? le16(22) : le32(36);
    uint32_t total = le16(19) ? le16(19) : le32(32);
    uint32_t root_sectors =
        (root_entries * 32 + layout.bytes_per_sector - 1) / layout.bytes_per_sector;
    uint32_t data_start = reserved + layout.fat_count * fat_sectors + root_sectors;
    uint32_t clusters = (total - data_start) / bs[13];
    layout.bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
    layout.fat_offset = uint64_t(reserved) * layout.bytes_per_sector;
    layout.fat_bytes = uint64_t(fat_sectors) * layout.bytes_per_sector;
    layout.data_offset = uint64_t(data_start) * layout.bytes_per_sector;
    return layout;
}

uint64_t cluster_offset(const Layout& layout, uint32_t cluster) {
    return layout.data_offset + uint64_t(cluster - 2) * layout.cluster_bytes;
}

uint32_t fat_entry(const Image& image, const Layout& layout, uint32_t cluster) {
    uint8_t b[4] = {};
    switch (layout.bits) {
    case 12: {
        image.peek(layout.fat_offset + cluster + cluster / 2, b, 2);
        uint32_t both = b[0] | (b[1] << 8);
        return (cluster & 1) ? both >> 4 : both & 0xFFF;
    }
    case 16:
        image.peek(layout.fat_offset + cluster * 2, b, 2);
        return b[0] | (b[1] << 8);
    default:
        image.peek(layout.fat_offset + cluster * 4, b, 4);
        return (b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24)) & 0x0FFFFFFF;
    }
}

void set_fat_entry(const Image& image, const Layout& layout, uint32_t cluster, uint32_t value,
                   bool every_copy) {
    for (uint32_t copy = 0; copy < (every_copy ? layout.fat_count : 1); ++copy) {
        uint64_t fat = layout.fat_offset + copy * layout.fat_bytes;
        uint8_t b[4];
        switch (layout.bits) {
        case 12: {
            uint64_t at = fat + cluster + cluster / 2;
            image.peek(at, b, 2);
            uint32_t both = b[0] | (b[1] << 8);
            both = (cluster & 1) ? (both & 0x000F) | (value << 4) : (both & 0xF000) | value;
            b[0] = uint8_t(both);
            b[1] = uint8_t(both >> 8);
            image.poke(at, b, 2);
            break;
        }
        case 16:
            b[0] = uint8_t(value);
            b[1] = uint8_t(value >> 8);
            image.poke(fat + cluster * 2, b, 2);
            break;
        default:
            for (int i = 0; i < 4; ++i)
                b[i] = uint8_t(value >> (8 * i));
            image.poke(fat + cluster * 4, b, 4);
            break;
        }
    }
}

// --- Mounted ---------------------------------------------------------------------------------

namespace {
void* allocate(size_t size) {
    return std::calloc(1, size);
}
void release(void* memory) {
    std::free(memory);
}
uint64_t now() {
    return NOW;
}
} // namespace

nk_status Mounted::device_read(void* context, uint64_t sector, uint32_t count, void* buffer) {
    auto* self = static_cast<Mounted*>(context);
    ++self->reads;
    self->sectors_read += count;
    size_t bytes = size_t(count) * self->m_sector_size;
    if (pread(self->m_fd, buffer, bytes, off_t(sector * self->m_sector_size)) != ssize_t(bytes))
        return -NK_EIO;
    return 0;
}

nk_status Mounted::device_write(void* context, uint64_t sector, uint32_t count,
                                const void* buffer) {
    auto* self = static_cast<Mounted*>(context);
    ++self->writes;
    size_t bytes = size_t(count) * self->m_sector_size;
    if (pwrite(self->m_fd, buffer, bytes, off_t(sector * self->m_sector_size)) != ssize_t(bytes))
        return -NK_EIO;
    return 0;
}

Mounted::Mounted(const Image& image, uint32_t sector_size) : m_sector_size(sector_size) {
    m_fd = open(image.path().c_str(), O_RDWR);
    if (m_fd < 0)
        throw std::runtime_error("cannot open the image");
    m_env.context = this;
    m_env.sector_size = sector_size;
    m_env.sector_count = image.size() / sector_size;
    m_env.read = device_read;
    m_env.write = device_write;
    m_env.allocate = allocate;
    m_env.release = release;
    m_env.now = now;
    nooks_fs_node root;
    m_status = vfat::mount(m_env, &m_volume, &root);
}

Mounted::~Mounted() {
    unmount();
    if (m_fd >= 0)
        close(m_fd);
}

void Mounted::unmount() {
    if (m_volume)
        vfat::unmount(m_volume);
    m_volume = nullptr;
}

nk_status Mounted::perform(nooks_fs_request& request) {
    return vfat::perform(m_volume, request);
}

namespace {
nooks_fs_request named(uint32_t operation, uint64_t node, const std::string& name) {
    nooks_fs_request request = {};
    request.operation = operation;
    request.node = node;
    std::strncpy(request.name, name.c_str(), NOOKS_FS_NAME_MAX);
    return request;
}
} // namespace

nk_status Mounted::lookup(uint64_t dir, const std::string& name, nooks_fs_node* out) {
    nooks_fs_request request = named(NOOKS_FS_LOOKUP, dir, name);
    nk_status status = perform(request);
    if (out)
        *out = request.result;
    return status;
}

nk_status Mounted::create(uint64_t dir, const std::string& name, nooks_fs_node* out) {
    nooks_fs_request request = named(NOOKS_FS_CREATE, dir, name);
    nk_status status = perform(request);
    if (out)
        *out = request.result;
    return status;
}

nk_status Mounted::mkdir(uint64_t dir, const std::string& name, nooks_fs_node* out) {
    nooks_fs_request request = named(NOOKS_FS_MKDIR, dir, name);
    nk_status status = perform(request);
    if (out)
        *out = request.result;
    return status;
}

nk_status Mounted::unlink(uint64_t dir, const std::string& name) {
    nooks_fs_request request = named(NOOKS_FS_UNLINK, dir, name);
    return perform(request);
}

nk_status Mounted::rmdir(uint64_t dir, const std::string& name) {
    nooks_fs_request request = named(NOOKS_FS_RMDIR, dir, name);
    return perform(request);
}

nk_status Mounted::rename(uint64_t dir, const std::string& name, uint64_t to,
                          const std::string& to_name, nooks_fs_node* out) {
    nooks_fs_request request = named(NOOKS_FS_RENAME, dir, name);
    request.other = to;
    std::strncpy(request.other_name, to_name.c_str(), NOOKS_FS_NAME_MAX);
    nk_status status = perform(request);
    if (out)
        *out = request.result;
    return status;
}

nk_status Mounted::truncate(uint64_t node, uint64_t length) {
    nooks_fs_request request = named(NOOKS_FS_TRUNCATE, node, "");
    request.offset = length;
    return perform(request);
}

nk_status Mounted::stat(uint64_t node, nooks_fs_node* out) {
    nooks_fs_request request = named(NOOKS_FS_STAT, node, "");
    nk_status status = perform(request);
    *out = request.result;
    return status;
}

nk_status Mounted::apply_map(const nooks_fs_request& request, uint8_t* data, bool write) {
    if (request.data_count > NOOKS_FS_DATA_EXTENTS_MAX)
        return -NK_EIO;
    most_runs = std::max<uint64_t>(most_runs, request.data_count);
    uint64_t total = 0;
    for (uint32_t i = 0; i < request.data_count; ++i) {
        const nooks_fs_data_extent& run = request.data[i];
        ssize_t moved = write ? pwrite(m_fd, data + total, run.length, off_t(run.device_byte))
                              : pread(m_fd, data + total, run.length, off_t(run.device_byte));
        if (run.length == 0 || moved != ssize_t(run.length))
            return -NK_EIO;
        total += run.length;
    }
    return total == request.transferred ? 0 : -NK_EIO;
}

nk_status Mounted::write(uint64_t node, uint64_t offset, const std::vector<uint8_t>& data,
                         uint64_t* transferred, nooks_fs_node* out) {
    nooks_fs_request request = named(NOOKS_FS_WRITE, node, "");
    request.offset = offset;
    request.length = data.size();
    request.buffer = mapped ? nullptr : const_cast<uint8_t*>(data.data());
    nk_status status = perform(request);
    uint64_t done = request.transferred;
    if (mapped && status == 0) {
        // The kernel's loop: a map that filled up ends the request short; the rest follows.
        status = apply_map(request, const_cast<uint8_t*>(data.data()), true);
        while (status == 0 && done < data.size() && request.transferred > 0) {
            request = named(NOOKS_FS_WRITE, node, "");
            request.offset = offset + done;
            request.length = data.size() - done;
            status = perform(request);
            if (status == 0)
                status = apply_map(request, const_cast<uint8_t*>(data.data()) + done, true);
            done += request.transferred;
        }
    }
    if (transferred)
        *transferred = done;
    if (out)
        *out = request.result;
    return status;
}

nk_status Mounted::read(uint64_t node, uint64_t offset, uint64_t length, std::vector<uint8_t>* out,
                        uint64_t chunk) {
    out->clear();
    std::vector<uint8_t> buffer(chunk);
    while (length > 0) {
        nooks_fs_request request = named(NOOKS_FS_READ, node, "");
        request.offset = offset;
        request.length = length < chunk ? length : chunk;
        request.buffer = mapped ? nullptr : buffer.data();
        nk_status status = perform(request);
        if (status == 0 && mapped)
            status = apply_map(request, buffer.data(), false);
        if (status < 0)
            return status;
        out->insert(out->end(), buffer.begin(), buffer.begin() + long(request.transferred));
        // Short: the end of the file — or, mapped, a full map (the rest in the next request).
        bool map_full = mapped && request.data_count == NOOKS_FS_DATA_EXTENTS_MAX;
        if (request.transferred == 0 || (request.transferred < request.length && !map_full))
            break;
        offset += request.transferred;
        length -= request.transferred;
    }
    return 0;
}

nk_status Mounted::read_all(uint64_t node, std::vector<uint8_t>* out) {
    nooks_fs_node info;
    nk_status status = stat(node, &info);
    if (status < 0)
        return status;
    return read(node, 0, info.size, out);
}

nk_status Mounted::list(uint64_t dir, std::vector<std::string>* names,
                        std::vector<nooks_fs_node>* nodes) {
    names->clear();
    if (nodes)
        nodes->clear();
    for (uint64_t index = 0;; ++index) {
        nooks_fs_request request = named(NOOKS_FS_READDIR, dir, "");
        request.offset = index;
        nk_status status = perform(request);
        if (status == -NK_ENOENT)
            return 0;
        if (status < 0)
            return status;
        names->push_back(request.name);
        if (nodes)
            nodes->push_back(request.result);
    }
}

nk_status Mounted::statfs(nooks_fs_usage* out) {
    nooks_fs_request request = named(NOOKS_FS_STATFS, ROOT, "");
    nk_status status = perform(request);
    *out = request.usage;
    return status;
}

nk_status Mounted::walk(const std::string& path, nooks_fs_node* out) {
    nooks_fs_node node = {};
    node.number = ROOT;
    node.type = NOOKS_FS_DIRECTORY;
    size_t start = 0;
    while (start < path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        nk_status status = lookup(node.number, path.substr(start, end - start), &node);
        if (status < 0)
            return status;
        start = end + 1;
    }
    *out = node;
    return 0;
}

} // namespace vfat_test
