// Helpers of the vfat host tests: a FAT image made by mkfs.vfat in a temporary directory, an
// Environment over the image file, and the fs-class operations as small functions.
#pragma once

#include <drivers/vfat/fat_volume.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vfat_test {

// A temporary directory, removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

// Runs a shell command (with MTOOLS_SKIP_CHECK=1 and a UTF-8 locale); its exit status and
// standard output plus error.
struct Shell {
    int status;
    std::string output;
};
Shell run(const std::string& command);
std::string quote(const std::string& text);

// The kinds of volume the tests use: FAT12 of 4 MiB, FAT16 of 32 MiB, FAT32 of 64 MiB with
// 512-byte clusters.
struct Format {
    int bits;
    unsigned kib;
    const char* options;
};
extern const Format FORMATS[3];

class Image {
public:
    explicit Image(const Format& format);
    const std::string& path() const { return m_path; }
    const std::string& dir() const { return m_dir.path(); }
    std::string mtools(const std::string& tool, const std::string& arguments) const;
    // fsck.fat -n: clean when the exit status is 0 and no complaint is printed.
    bool fsck_clean(std::string* report = nullptr) const;
    std::vector<uint8_t> bytes() const;
    void poke(uint64_t offset, const void* data, size_t length) const;
    void peek(uint64_t offset, void* data, size_t length) const;
    uint64_t size() const;

private:
    TempDir m_dir;
    std::string m_path;
};

// A local file's content; writes one.
std::vector<uint8_t> read_local(const std::string& path);
void write_local(const std::string& path, const std::vector<uint8_t>& data);
std::vector<uint8_t> pattern(size_t length, uint32_t seed);

// The BPB facts the tests need to find structures in an image.
struct Layout {
    int bits;
    uint32_t bytes_per_sector;
    uint32_t cluster_bytes;
    uint64_t fat_offset; // bytes
    uint64_t fat_bytes;
    uint32_t fat_count;
    uint64_t data_offset; // cluster 2
};
Layout layout_of(const Image& image);
uint64_t cluster_offset(const Layout& layout, uint32_t cluster);
uint32_t fat_entry(const Image& image, const Layout& layout, uint32_t cluster);
void set_fat_entry(const Image& image, const Layout& layout, uint32_t cluster, uint32_t value,
                   bool every_copy = true);

// A mounted volume over an image file, with counts of device calls.
class Mounted {
public:
    explicit Mounted(const Image& image, uint32_t sector_size = 512);
    ~Mounted();
    Mounted(const Mounted&) = delete;
    Mounted& operator=(const Mounted&) = delete;

    nk_status status() const { return m_status; }
    vfat::Volume* volume() const { return m_volume; }
    void unmount();

    nk_status perform(nooks_fs_request& request);
    nk_status lookup(uint64_t dir, const std::string& name, nooks_fs_node* out = nullptr);
    nk_status create(uint64_t dir, const std::string& name, nooks_fs_node* out = nullptr);
    nk_status mkdir(uint64_t dir, const std::string& name, nooks_fs_node* out = nullptr);
    nk_status unlink(uint64_t dir, const std::string& name);
    nk_status rmdir(uint64_t dir, const std::string& name);
    nk_status rename(uint64_t dir, const std::string& name, uint64_t to, const std::string& to_name,
                     nooks_fs_node* out = nullptr);
    nk_status truncate(uint64_t node, uint64_t length);
    nk_status stat(uint64_t node, nooks_fs_node* out);
    nk_status write(uint64_t node, uint64_t offset, const std::vector<uint8_t>& data,
                    uint64_t* transferred = nullptr, nooks_fs_node* out = nullptr);
    // Reads `length` bytes from `offset` in requests of `chunk` bytes; stops at a short read.
    nk_status read(uint64_t node, uint64_t offset, uint64_t length, std::vector<uint8_t>* out,
                   uint64_t chunk = 65536);
    nk_status read_all(uint64_t node, std::vector<uint8_t>* out);
    nk_status list(uint64_t dir, std::vector<std::string>* names,
                   std::vector<nooks_fs_node>* nodes = nullptr);
    nk_status statfs(nooks_fs_usage* out);
    // The node of a path of names below the root ("a/b/c").
    nk_status walk(const std::string& path, nooks_fs_node* out);

    uint64_t reads = 0;
    uint64_t writes = 0;
    uint64_t sectors_read = 0;
    // READ and WRITE as the kernel asks a NOOKS_FS_MAPS_DATA file system: no buffer; the data
    // map that comes back is checked and applied to the image here, the kernel's part.
    bool mapped = false;
    uint64_t most_runs = 0; // the longest data map seen

private:
    int m_fd = -1;
    uint32_t m_sector_size;
    vfat::Environment m_env = {};
    vfat::Volume* m_volume = nullptr;
    nk_status m_status = 0;

    // The kernel's part of a mapped READ or WRITE: the map checked, the bytes moved.
    nk_status apply_map(const nooks_fs_request& request, uint8_t* data, bool write);
    static nk_status device_read(void* context, uint64_t sector, uint32_t count, void* buffer);
    static nk_status device_write(void* context, uint64_t sector, uint32_t count,
                                  const void* buffer);
};

constexpr uint64_t ROOT = 1;
// The time the tests' volumes see: 2023-11-14 22:13:20 UTC.
constexpr uint64_t NOW = 1700000000;

} // namespace vfat_test
