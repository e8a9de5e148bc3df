// In-kernel tests of the block layer on a RAM disk of their own: the write-back buffer cache
// (nothing reaches the device before a flush; adjacent dirty pages merge into one request) and
// the crossing-atomic write transaction (staged writes are seen by their own reads, dropped by
// an abort, applied by a commit — all of them or, when bringing a page in fails, none).
#include <kernel/block/block_device.h>
#include <kernel/block/buffer_cache.h>
#include <kernel/block/write_transaction.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/test/ktest.h>

#include <string.h>

using namespace kernel;

namespace {

constexpr nk::u32 SECTOR = 512;
constexpr nk::u64 SECTORS = 256; // 128 KiB: 32 cache pages

class RamDisk final : public block::BlockDevice {
public:
    explicit RamDisk(const char* name) : BlockDevice(name, SECTOR, SECTORS) {
        memset(data, 0, sizeof data);
    }
    nk::u8 data[SECTORS * SECTOR];
    nk::u64 device_writes = 0;
    bool fail_reads = false;

protected:
    nk::ErrorOr do_read(nk::u64 sector, nk::u32 count, void* buffer) override {
        if (fail_reads)
            return nk::Error::IO;
        memcpy(buffer, data + sector * SECTOR, nk::usize(count) * SECTOR);
        return {};
    }
    nk::ErrorOr do_write(nk::u64 sector, nk::u32 count, const void* buffer) override {
        ++device_writes;
        memcpy(data + sector * SECTOR, buffer, nk::usize(count) * SECTOR);
        return {};
    }
    void destroy() override {
        this->~RamDisk();
        kfree(this);
    }
};

RamDisk* make_disk(const char* name) {
    void* memory = kmalloc(sizeof(RamDisk));
    if (!memory)
        return nullptr;
    auto* disk = new (memory) RamDisk(name);
    if (block::register_device(*disk).is_error()) {
        disk->unref();
        return nullptr;
    }
    return disk;
}

void fill(nk::u8* buffer, nk::usize length, nk::u8 seed) {
    for (nk::usize i = 0; i < length; ++i)
        buffer[i] = nk::u8(seed + i * 13);
}

} // namespace

KTEST(block_cache_writes_back_merged) {
    RamDisk* disk = make_disk("tcache0");
    KREQUIRE(disk != nullptr);
    static nk::u8 out[64 * SECTOR];
    static nk::u8 in[64 * SECTOR];
    fill(out, sizeof out, 7);
    // 32 KiB at sector 16: eight whole pages, dirty in the cache, nothing on the device yet.
    KEXPECT(disk->write(16, 64, out).has_value());
    KEXPECT(disk->device_writes == 0);
    KEXPECT(block::cache_dirty_pages(*disk) == 8);
    KEXPECT(disk->read(16, 64, in).has_value());
    KEXPECT(memcmp(in, out, sizeof in) == 0);
    nk::u8 zeros[SECTOR] = {};
    KEXPECT(memcmp(disk->data + 16 * SECTOR, zeros, SECTOR) == 0);
    // The flush: one merged request for the eight adjacent pages.
    KEXPECT(disk->flush().has_value());
    KEXPECT(disk->device_writes == 1);
    KEXPECT(block::cache_dirty_pages(*disk) == 0);
    KEXPECT(memcmp(disk->data + 16 * SECTOR, out, sizeof out) == 0);
    // A partial page is read in first, so its other sectors keep their data.
    nk::u8 one[SECTOR];
    fill(one, sizeof one, 99);
    KEXPECT(disk->write(17, 1, one).has_value());
    KEXPECT(disk->flush().has_value());
    KEXPECT(memcmp(disk->data + 17 * SECTOR, one, SECTOR) == 0);
    KEXPECT(memcmp(disk->data + 16 * SECTOR, out, SECTOR) == 0);
    KEXPECT(memcmp(disk->data + 18 * SECTOR, out + 2 * SECTOR, SECTOR) == 0);
    block::unregister_device(*disk);
    disk->unref();
}

KTEST(block_transaction_commits_or_drops_as_a_unit) {
    RamDisk* disk = make_disk("tcache1");
    KREQUIRE(disk != nullptr);
    nk::u8 before[2 * SECTOR];
    nk::u8 after[2 * SECTOR];
    nk::u8 in[2 * SECTOR];
    fill(before, sizeof before, 1);
    fill(after, sizeof after, 200);
    KEXPECT(disk->write(40, 2, before).has_value());
    {
        // Aborted (the crossing did not return): its own reads saw the writes, nobody else will.
        block::WriteTransaction transaction;
        KEXPECT(block::WriteTransaction::current() == &transaction);
        KEXPECT(disk->write(40, 2, after).has_value());
        KEXPECT(disk->read(40, 2, in).has_value());
        KEXPECT(memcmp(in, after, sizeof in) == 0);
        KEXPECT(transaction.staged_writes() == 1);
    }
    KEXPECT(block::WriteTransaction::current() == nullptr);
    KEXPECT(disk->read(40, 2, in).has_value());
    KEXPECT(memcmp(in, before, sizeof in) == 0);
    {
        block::WriteTransaction transaction;
        KEXPECT(disk->write(40, 1, after).has_value());
        KEXPECT(disk->write(41, 1, after + SECTOR).has_value());
        KEXPECT(transaction.commit().has_value());
    }
    KEXPECT(disk->read(40, 2, in).has_value());
    KEXPECT(memcmp(in, after, sizeof in) == 0);
    // All or nothing: the first write covers page 5 whole (no read needed), the second needs
    // its page read in and the device fails the read — then the first is not applied either,
    // and no page made for it is left behind holding nothing.
    KEXPECT(disk->flush().has_value());
    (void)block::cache_drop_clean();
    static nk::u8 whole[8 * SECTOR];
    fill(whole, sizeof whole, 77);
    {
        block::WriteTransaction transaction;
        KEXPECT(disk->write(40, 8, whole).has_value());
        KEXPECT(disk->write(200, 1, whole).has_value());
        disk->fail_reads = true;
        KEXPECT(transaction.commit().is_error());
        disk->fail_reads = false;
    }
    KEXPECT(block::cache_dirty_pages(*disk) == 0);
    KEXPECT(disk->read(40, 2, in).has_value());
    KEXPECT(memcmp(in, after, sizeof in) == 0);
    block::unregister_device(*disk);
    disk->unref();
}

KTEST(block_bytes_move_through_cache_and_transaction) {
    RamDisk* disk = make_disk("tcache2");
    KREQUIRE(disk != nullptr);
    static nk::u8 old_bytes[16 * SECTOR];
    static nk::u8 data[8 * SECTOR];
    static nk::u8 in[16 * SECTOR];
    fill(old_bytes, sizeof old_bytes, 3);
    fill(data, sizeof data, 150);
    KEXPECT(disk->write(64, 16, old_bytes).has_value());
    // A range with a partial sector at each end: the bytes around it keep their data.
    constexpr nk::u64 START = 64 * SECTOR + 100;
    constexpr nk::u64 LENGTH = 6 * SECTOR + 37;
    {
        block::WriteTransaction transaction;
        KEXPECT(disk->write_bytes(START, LENGTH, data).has_value());
        // Its own reads see it. Staged: the head sector, the five whole ones, the tail.
        KEXPECT(disk->read_bytes(START, LENGTH, in).has_value());
        KEXPECT(memcmp(in, data, LENGTH) == 0);
        KEXPECT(transaction.staged_writes() == 3);
        KEXPECT(transaction.staged_bytes() == 7 * SECTOR);
        KEXPECT(transaction.commit().has_value());
    }
    KEXPECT(disk->read(64, 16, in).has_value());
    KEXPECT(memcmp(in, old_bytes, 100) == 0);
    KEXPECT(memcmp(in + 100, data, LENGTH) == 0);
    KEXPECT(memcmp(in + 100 + LENGTH, old_bytes + 100 + LENGTH, sizeof in - 100 - LENGTH) == 0);
    // Outside a transaction, straight to the cache; a range past the end is refused.
    KEXPECT(disk->write_bytes(SECTORS * SECTOR - 10, 10, data).has_value());
    KEXPECT(disk->read_bytes(SECTORS * SECTOR - 10, 10, in).has_value());
    KEXPECT(memcmp(in, data, 10) == 0);
    KEXPECT(disk->write_bytes(SECTORS * SECTOR - 10, 11, data).is_error());
    KEXPECT(disk->read_bytes(~0ull - 5, 10, in).is_error());
    block::unregister_device(*disk);
    disk->unref();
}
