// diskbench [MiB]: the storage stack measured twice in one boot — ata and vfat loaded native,
// then isolated — on the same disk with the same workloads, and the isolated/native ratio of
// every figure. Workloads: sequential write (256 KiB writes, then sync) and sequential read (cold
// cache) of one large file; small-file create+write and delete rates; and a compile-like run
// (unpack a tree of a few hundred small files, read each back, delete them). Beside each: the
// crossings into vfat and ata per operation. Last, the recovery time of each driver, crashed
// once. `bench disk` in the shell runs it.
//
// It drives the extensions the way the shell does (ext control and mount calls), so /disk must
// be the vfat volume on hda the boot mounted; it is mounted back, isolated, at the end.
#include <nk/syscall_abi.h>
#include <nk_stdlib.h>
#include <nk_string.h>
#include <stdio.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

namespace abi = nk::abi;
using nk::u32;
using nk::u64;
using nk::usize;

namespace {

constexpr const char* MOUNT_POINT = "/disk";
// The disk /disk was mounted from at boot ("hda" in QEMU; "hdb" in Bochs, behind the CD).
char g_device[16] = "hda";
constexpr const char* WORK = "/disk/bench";
constexpr usize CHUNK = 256 * 1024;
constexpr unsigned SMALL_FILES = 200;
constexpr unsigned TREE_DIRECTORIES = 12;
constexpr unsigned TREE_FILES_PER_DIRECTORY = 25; // 300 files
char g_buffer[CHUNK];
char g_text[8192];

u64 now_ns() {
    abi::TimeInfo time = {};
    (void)sys::time(time);
    return time.uptime_ns;
}

bool fail(const char* what, const char* path, nk::Error error) {
    printf("diskbench: %s %s: %s\n", what, path ? path : "", nk::error_string(error));
    return false;
}

// Domain crossings so far from `ext stats NAME`: calls into the extension ("crossings N") and
// its calls into the kernel ("wrapper calls N"), each a round trip across the boundary when it
// is isolated (counted the same way natively, where they are plain calls).
u64 crossings(const char* extension) {
    auto length = sys::ext_control(u32(abi::ExtOperation::Stats), extension,
                                   nk::string_length(extension) + 1, g_text, sizeof g_text - 1);
    if (length.is_error())
        return 0;
    g_text[length.value()] = 0;
    const char* in = nk::find_substring(g_text, "crossings ");
    const char* out = nk::find_substring(g_text, "wrapper calls ");
    return (in ? nk::parse_unsigned(in + 10, nullptr, 10) : 0) +
           (out ? nk::parse_unsigned(out + 14, nullptr, 10) : 0);
}

u64 all_crossings() {
    return crossings("vfat") + crossings("ata");
}

bool load(const char* name, abi::ExtMode mode) {
    char path[64] = "/lib/modules/";
    nk::append_string(path, name);
    nk::append_string(path, ".ko");
    abi::ExtLoadRequest request = {path, mode, 0, nullptr};
    auto loaded = sys::ext_control(u32(abi::ExtOperation::Load), &request, sizeof request, g_text,
                                   sizeof g_text - 1);
    if (loaded.is_error())
        return fail("loading", path, loaded.error());
    return true;
}

bool unload(const char* name) {
    auto done = sys::ext_control(u32(abi::ExtOperation::Unload), name, nk::string_length(name) + 1,
                                 nullptr, 0);
    // Not loaded is fine: the storage stack may not have come up at boot.
    if (done.is_error() && done.error() != nk::Error::NoEntry)
        return fail("unloading", name, done.error());
    return true;
}

// Which disk is mounted at /disk (`mount`'s "hdb on /disk type vfat").
void find_device() {
    auto length = sys::info(abi::InfoKind::Mounts, g_text, sizeof g_text - 1);
    if (length.is_error())
        return;
    g_text[length.value()] = 0;
    const char* at = nk::find_substring(g_text, " on /disk type vfat");
    if (!at)
        return;
    const char* start = at;
    while (start > g_text && start[-1] != '\n')
        --start;
    usize size = usize(at - start);
    if (size == 0 || size >= sizeof g_device)
        return;
    nk::copy_memory(g_device, start, size);
    g_device[size] = 0;
}

// The storage stack in `mode`: both drivers reloaded, /disk mounted again.
bool bring_up(abi::ExtMode mode) {
    (void)sys::unmount(MOUNT_POINT);
    if (!unload("vfat") || !unload("ata") || !load("ata", mode) || !load("vfat", mode))
        return false;
    if (auto mounted = sys::mount("vfat", g_device, MOUNT_POINT); mounted.is_error())
        return fail("mounting", MOUNT_POINT, mounted.error());
    return true;
}

bool write_file(const char* path, usize size, u32 seed) {
    auto fd = sys::open(path, abi::O_WRONLY | abi::O_CREAT | abi::O_TRUNC);
    if (fd.is_error())
        return fail("creating", path, fd.error());
    for (usize i = 0; i < CHUNK; ++i)
        g_buffer[i] = char(seed + i * 7);
    for (usize done = 0; done < size;) {
        usize piece = size - done < CHUNK ? size - done : CHUNK;
        auto wrote = sys::write(fd.value(), g_buffer, piece);
        if (wrote.is_error() || wrote.value() != piece) {
            (void)sys::close(fd.value());
            return fail("writing", path, wrote.is_error() ? wrote.error() : nk::Error::NoSpace);
        }
        done += piece;
    }
    (void)sys::close(fd.value());
    return true;
}

bool read_file(const char* path, usize expected) {
    auto fd = sys::open(path, abi::O_RDONLY);
    if (fd.is_error())
        return fail("opening", path, fd.error());
    usize total = 0;
    for (;;) {
        auto got = sys::read(fd.value(), g_buffer, CHUNK);
        if (got.is_error()) {
            (void)sys::close(fd.value());
            return fail("reading", path, got.error());
        }
        if (got.value() == 0)
            break;
        total += got.value();
    }
    (void)sys::close(fd.value());
    if (total != expected)
        return fail("reading (short)", path, nk::Error::IO);
    return true;
}

void path_of(char (&out)[96], const char* directory, const char* prefix, unsigned number) {
    snprintf(out, sizeof out, "%s/%s%u", directory, prefix, number);
}

struct Figures {
    u64 write_kib_s, read_kib_s;
    u64 creates_s, deletes_s;
    u64 tree_ms;
    // Crossings per operation, in hundredths.
    u64 write_x, read_x, create_x, delete_x, tree_x;
    bool ok;
};

u64 rate(u64 count, u64 ns) {
    return ns ? count * 1000000000ull / ns : 0;
}

u64 per(u64 crossings, u64 operations) {
    return operations ? crossings * 100 / operations : 0;
}

Figures measure(usize big_bytes) {
    Figures f = {};
    (void)sys::mkdir(WORK);
    char path[96];
    // Sequential write, to the disk (sync included).
    snprintf(path, sizeof path, "%s/big.bin", WORK);
    u64 x0 = all_crossings();
    u64 t0 = now_ns();
    if (!write_file(path, big_bytes, 1) || sys::sync().is_error())
        return f;
    u64 t1 = now_ns();
    u64 chunks = big_bytes / CHUNK;
    f.write_kib_s = rate(big_bytes / 1024, t1 - t0);
    f.write_x = per(all_crossings() - x0, chunks);
    // Sequential read, cold: nothing of it left in the buffer cache.
    (void)sys::sync(abi::SYNC_DROP_CACHE);
    x0 = all_crossings();
    t0 = now_ns();
    if (!read_file(path, big_bytes))
        return f;
    t1 = now_ns();
    f.read_kib_s = rate(big_bytes / 1024, t1 - t0);
    f.read_x = per(all_crossings() - x0, chunks);
    (void)sys::unlink(path);
    // Small files: create and write 1 KiB each, then delete them.
    x0 = all_crossings();
    t0 = now_ns();
    for (unsigned i = 0; i < SMALL_FILES; ++i) {
        path_of(path, WORK, "small", i);
        if (!write_file(path, 1024, i))
            return f;
    }
    (void)sys::sync();
    t1 = now_ns();
    f.creates_s = rate(SMALL_FILES, t1 - t0);
    f.create_x = per(all_crossings() - x0, SMALL_FILES);
    x0 = all_crossings();
    t0 = now_ns();
    for (unsigned i = 0; i < SMALL_FILES; ++i) {
        path_of(path, WORK, "small", i);
        if (auto gone = sys::unlink(path); gone.is_error())
            return fail("deleting", path, gone.error()), f;
    }
    (void)sys::sync();
    t1 = now_ns();
    f.deletes_s = rate(SMALL_FILES, t1 - t0);
    f.delete_x = per(all_crossings() - x0, SMALL_FILES);
    // Compile-like: unpack a tree, read every file back (cold), delete it all.
    x0 = all_crossings();
    t0 = now_ns();
    unsigned files = 0;
    for (unsigned d = 0; d < TREE_DIRECTORIES; ++d) {
        char directory[96];
        path_of(directory, WORK, "dir", d);
        if (auto made = sys::mkdir(directory); made.is_error())
            return fail("mkdir", directory, made.error()), f;
        for (unsigned i = 0; i < TREE_FILES_PER_DIRECTORY; ++i) {
            path_of(path, directory, "source", i);
            if (!write_file(path, 512 + (i * 997) % 7680, i))
                return f;
            ++files;
        }
    }
    (void)sys::sync(abi::SYNC_DROP_CACHE);
    for (unsigned d = 0; d < TREE_DIRECTORIES; ++d) {
        char directory[96];
        path_of(directory, WORK, "dir", d);
        for (unsigned i = 0; i < TREE_FILES_PER_DIRECTORY; ++i) {
            path_of(path, directory, "source", i);
            if (!read_file(path, 512 + (i * 997) % 7680))
                return f;
        }
    }
    for (unsigned d = 0; d < TREE_DIRECTORIES; ++d) {
        char directory[96];
        path_of(directory, WORK, "dir", d);
        for (unsigned i = 0; i < TREE_FILES_PER_DIRECTORY; ++i) {
            path_of(path, directory, "source", i);
            if (auto gone = sys::unlink(path); gone.is_error())
                return fail("deleting", path, gone.error()), f;
        }
        if (auto gone = sys::rmdir(directory); gone.is_error())
            return fail("rmdir", directory, gone.error()), f;
    }
    (void)sys::sync();
    t1 = now_ns();
    f.tree_ms = (t1 - t0) / 1000000;
    f.tree_x = per(all_crossings() - x0, 3 * files);
    (void)sys::rmdir(WORK);
    f.ok = true;
    return f;
}

void ratio_text(char (&out)[16], u64 isolated, u64 native, bool lower_is_better) {
    u64 a = lower_is_better ? native : isolated;
    u64 b = lower_is_better ? isolated : native;
    if (!b) {
        snprintf(out, sizeof out, "-");
        return;
    }
    u64 hundredths = (a * 100 + b / 2) / b;
    snprintf(out, sizeof out, "%llu.%02llu", (unsigned long long)(hundredths / 100),
             (unsigned long long)(hundredths % 100));
}

void row(const char* what, const char* unit, u64 native, u64 isolated, u64 native_x, u64 isolated_x,
         bool lower_is_better = false) {
    char ratio[16];
    ratio_text(ratio, isolated, native, lower_is_better);
    printf("%-26s %10llu %10llu %-8s %6s   %4llu.%02llu / %4llu.%02llu\n", what,
           (unsigned long long)native, (unsigned long long)isolated, unit, ratio,
           (unsigned long long)(native_x / 100), (unsigned long long)(native_x % 100),
           (unsigned long long)(isolated_x / 100), (unsigned long long)(isolated_x % 100));
}

// The recovery time of one driver: a crash armed for its next crossing, a cold read that makes
// one (and is replayed once the driver is back), then the time recovery took from `ext stats`.
void recovery_time(const char* name) {
    abi::ExtCrashRequest request = {};
    nk::copy_string(request.name, name);
    nk::copy_string(request.kind, "null");
    request.after = 1;
    request.times = 1;
    (void)sys::sync(abi::SYNC_DROP_CACHE);
    auto armed = sys::ext_control(u32(abi::ExtOperation::Crash), &request, sizeof request, g_text,
                                  sizeof g_text - 1);
    if (armed.is_error()) {
        printf("recovery of %-5s: not measured (%s)\n", name, nk::error_string(armed.error()));
        return;
    }
    // Reads that cross into both drivers: a lookup (vfat) and a cold 4 MiB file (ata).
    bool read = read_file("/disk/files/README.txt", 163) &&
                read_file("/disk/files/random-4MiB.bin", 4u << 20);
    // The recovery finishes its bookkeeping a moment after the driver is back.
    u64 micros = 0;
    for (int attempt = 0; attempt < 50 && micros == 0; ++attempt) {
        auto length = sys::ext_control(u32(abi::ExtOperation::Stats), name,
                                       nk::string_length(name) + 1, g_text, sizeof g_text - 1);
        if (length.is_error())
            return;
        g_text[length.value()] = 0;
        if (const char* at = nk::find_substring(g_text, "recovery took "))
            micros = nk::parse_unsigned(at + 14, nullptr, 10);
        if (micros == 0)
            (void)sys::sleep(100);
    }
    if (micros == 0) {
        printf("recovery of %-5s: no crash happened\n", name);
        return;
    }
    printf("recovery of %-5s: %llu us (release, reload, re-init%s); the reads across it %s\n", name,
           (unsigned long long)micros, nk::compare_strings(name, "vfat") == 0 ? ", remount" : "",
           read ? "succeeded" : "FAILED");
}

// Rounds per mode; as process 1 (init=/bin/diskbench, for Bochs, where nobody types and the
// emulator's clock counts instructions) one round of a 4 MiB file, then power off.
int g_rounds = 3;

void keep_best(Figures& best, const Figures& got) {
    if (!best.ok) {
        best = got;
        return;
    }
    auto higher = [](u64& a, u64 b) { a = b > a ? b : a; };
    higher(best.write_kib_s, got.write_kib_s);
    higher(best.read_kib_s, got.read_kib_s);
    higher(best.creates_s, got.creates_s);
    higher(best.deletes_s, got.deletes_s);
    best.tree_ms = got.tree_ms < best.tree_ms ? got.tree_ms : best.tree_ms;
}

} // namespace

int main(int argc, char** argv) {
    // diskbench [-v] [MiB]: -v prints every round's figures too.
    bool verbose = argc > 1 && nk::compare_strings(argv[1], "-v") == 0;
    if (verbose) {
        --argc;
        ++argv;
    }
    bool as_init = sys::get_pid() == 1;
    if (as_init)
        g_rounds = 1;
    u64 mib = argc > 1 ? nk::parse_unsigned(argv[1], nullptr, 10) : as_init ? 4 : 16;
    if (mib == 0 || mib > 256) {
        printf("usage: diskbench [MiB 1..256]\n");
        return 2;
    }
    usize big = usize(mib) << 20;
    find_device();
    printf("diskbench: %llu MiB file, %u small files, a tree of %u files; native and isolated, "
           "alternating, best of %d each\n",
           (unsigned long long)mib, SMALL_FILES, TREE_DIRECTORIES * TREE_FILES_PER_DIRECTORY,
           g_rounds);
    // Two rounds, alternating (native, isolated, native, isolated), and the best figure of each
    // mode: the host's own caching of the disk image makes a first pass slower than a second.
    Figures native = {}, isolated = {};
    for (int round = 0; round < g_rounds; ++round) {
        const abi::ExtMode modes[] = {abi::ExtMode::Native, abi::ExtMode::Isolated};
        for (abi::ExtMode mode : modes) {
            if (!bring_up(mode))
                return 1;
            Figures got = measure(big);
            if (!got.ok)
                return 1;
            if (verbose)
                printf("round %d %s: write %llu KiB/s, read %llu KiB/s, creates %llu/s, deletes "
                       "%llu/s, tree %llu ms\n",
                       round + 1, mode == abi::ExtMode::Native ? "native" : "isolated",
                       (unsigned long long)got.write_kib_s, (unsigned long long)got.read_kib_s,
                       (unsigned long long)got.creates_s, (unsigned long long)got.deletes_s,
                       (unsigned long long)got.tree_ms);
            keep_best(mode == abi::ExtMode::Native ? native : isolated, got);
        }
    }
    printf("%-26s %10s %10s %-8s %6s   %s\n", "workload", "native", "isolated", "unit", "ratio",
           "crossings/op native / isolated");
    row("sequential write", "KiB/s", native.write_kib_s, isolated.write_kib_s, native.write_x,
        isolated.write_x);
    row("sequential read (cold)", "KiB/s", native.read_kib_s, isolated.read_kib_s, native.read_x,
        isolated.read_x);
    row("small files created", "files/s", native.creates_s, isolated.creates_s, native.create_x,
        isolated.create_x);
    row("small files deleted", "files/s", native.deletes_s, isolated.deletes_s, native.delete_x,
        isolated.delete_x);
    row("compile-like tree", "ms", native.tree_ms, isolated.tree_ms, native.tree_x, isolated.tree_x,
        true);
    printf("(ratio: isolated/native throughput, native/isolated time; 1.00 = no cost)\n");
    // A crash is a kernel panic natively: the recovery times are measured isolated.
    if (!bring_up(abi::ExtMode::Isolated))
        return 1;
    recovery_time("vfat");
    recovery_time("ata");
    if (as_init)
        (void)sys::machine(abi::MachineCommand::PowerOff);
    return 0;
}
