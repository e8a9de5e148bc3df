// Hands the kernel bad pointers and bad arguments through every kind of system call and checks
// each comes back as a clean error (EFAULT, EBADF, EINVAL, ENOSYS...) — never a kernel fault and
// never a corrupted process. Prints one line per failed check and a closing
// "syscheck: N passed, N failed".
#include <nk/error.h>
#include <userland/lib/print.h>
#include <userland/lib/raw_syscall.h>

namespace {

using nk::abi::Syscall;

int g_passed = 0;
int g_failed = 0;

void check(const char* what, long result, nk::Error expected) {
    if (result == -long(expected)) {
        ++g_passed;
        return;
    }
    ++g_failed;
    printf("syscheck: FAILED %s: got %ld, expected -%d (%s)\n", what, result, int(expected),
           nk::error_name(expected));
}

// Addresses no program may hand the kernel: unmapped low memory, a non-canonical address, the
// kernel's own image and physmap (mapped, but not for user access), and a range that runs off
// the end of user space.
constexpr nk::u64 UNMAPPED = 0x1000;
constexpr nk::u64 NON_CANONICAL = 0x0000800000000000ull;
constexpr nk::u64 KERNEL_IMAGE = 0xffffffff80100000ull;
constexpr nk::u64 PHYSMAP = 0xffff800000100000ull;

} // namespace

int main(int, char**) {
    using nk::Error;
    using sys::raw_syscall;
    const nk::u64 bad[] = {0, UNMAPPED, NON_CANONICAL, KERNEL_IMAGE, PHYSMAP};
    char buffer[64] = "readable text";
    const char* text_address = "/README.txt";

    for (nk::u64 pointer : bad) {
        check("write from a bad buffer", raw_syscall(Syscall::Write, 1, pointer, 16), Error::Fault);
        check("open a bad path", raw_syscall(Syscall::Open, pointer, 0), Error::Fault);
        check("stat a bad path", raw_syscall(Syscall::Stat, pointer, nk::u64(buffer)),
              Error::Fault);
        check("stat into a bad buffer", raw_syscall(Syscall::Stat, nk::u64(text_address), pointer),
              Error::Fault);
        check("time into a bad buffer", raw_syscall(Syscall::Time, pointer), Error::Fault);
        check("spawn a bad request", raw_syscall(Syscall::Spawn, pointer), Error::Fault);
        check("getcwd into a bad buffer", raw_syscall(Syscall::Getcwd, pointer, 64), Error::Fault);
        check("info into a bad buffer",
              raw_syscall(Syscall::Info, nk::u64(nk::abi::InfoKind::Uptime), pointer, 64),
              Error::Fault);
        check("mkdir a bad path", raw_syscall(Syscall::Mkdir, pointer), Error::Fault);
        check("rename from a bad path",
              raw_syscall(Syscall::Rename, pointer, nk::u64(text_address)), Error::Fault);
    }
    // Reading a file into kernel memory: the kernel must not write there.
    long fd = raw_syscall(Syscall::Open, nk::u64(text_address), nk::abi::O_RDONLY);
    if (fd < 0) {
        printf("syscheck: cannot open %s\n", text_address);
        return 1;
    }
    check("read into the kernel image", raw_syscall(Syscall::Read, fd, KERNEL_IMAGE, 64),
          Error::Fault);
    check("read into the physmap", raw_syscall(Syscall::Read, fd, PHYSMAP, 64), Error::Fault);
    check("read into read-only program text",
          raw_syscall(Syscall::Read, fd, nk::abi::USER_IMAGE_BASE, 64), Error::Fault);
    check("read past the end of user space",
          raw_syscall(Syscall::Read, fd, nk::abi::USER_SPACE_END - 8, 64), Error::Fault);
    check("readdir a regular file", raw_syscall(Syscall::ReadDir, fd, nk::u64(buffer), 1),
          Error::NotDirectory);
    check("seek before the start", raw_syscall(Syscall::Seek, fd, nk::u64(-5), nk::abi::SEEK_SET),
          Error::Invalid);
    raw_syscall(Syscall::Close, fd);

    // An argument vector whose second pointer is bad.
    const char* argv[] = {"/bin/true", reinterpret_cast<const char*>(KERNEL_IMAGE)};
    nk::abi::SpawnRequest request = {"/bin/true", argv, 2, {-1, -1, -1}, 0};
    check("spawn with a bad argv entry", raw_syscall(Syscall::Spawn, nk::u64(&request)),
          Error::Fault);
    request.argc = 1000;
    check("spawn with too many arguments", raw_syscall(Syscall::Spawn, nk::u64(&request)),
          Error::TooBig);

    // Bad descriptors, numbers and values.
    check("write to a closed fd", raw_syscall(Syscall::Write, 17, nk::u64(buffer), 1),
          Error::BadHandle);
    check("write to fd -1", raw_syscall(Syscall::Write, nk::u64(-1), nk::u64(buffer), 1),
          Error::BadHandle);
    check("close a huge fd", raw_syscall(Syscall::Close, 1u << 30), Error::BadHandle);
    check("dup2 to a huge fd", raw_syscall(Syscall::Dup2, 1, 1u << 30), Error::BadHandle);
    check("unknown system call", raw_syscall(Syscall(9999)), Error::NotImplemented);
    check("map 2^40 pages", raw_syscall(Syscall::MapPages, 40), Error::Invalid);
    check("unmap what was never mapped", raw_syscall(Syscall::UnmapPages, 0x12345000, 0),
          Error::Invalid);
    check("info of an unknown kind", raw_syscall(Syscall::Info, 999, nk::u64(buffer), 64),
          Error::Invalid);
    check("wait for a process that is not a child", raw_syscall(Syscall::Wait, 1, 0),
          Error::NoChild);
    check("kill a process that does not exist", raw_syscall(Syscall::Kill, 99999), Error::NoEntry);
    check("kill init", raw_syscall(Syscall::Kill, 1), Error::NotPermitted);

    // Still a healthy process: its own memory is intact and calls still work.
    bool intact = buffer[0] == 'r' && raw_syscall(Syscall::GetPid) > 0;
    printf("syscheck: %d passed, %d failed%s\n", g_passed, g_failed,
           intact ? "" : " (process state damaged)");
    return g_failed == 0 && intact ? 0 : 1;
}
