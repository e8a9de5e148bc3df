// The system call interface between ring-3 programs and the kernel: numbers, argument
// conventions and the structures that cross. Shared, unchanged, by kernel/syscall/ and userland/.
//
// Convention (the `syscall` instruction, SDM Vol. 2B): RAX = number; arguments in RDI, RSI, RDX,
// R10, R8, R9; the result comes back in RAX. A result in [-4095, -1] is -errno (the values of
// nk::Error); anything else is success. RCX and R11 are clobbered by the instruction itself.
//
// Every pointer a program passes is checked against its address space: a bad one gives -EFAULT,
// never a kernel fault. Strings are NUL-terminated and at most MAX_PATH bytes (path) or
// MAX_ARGUMENT bytes (other).
#pragma once

#include <nk/types.h>

namespace nk::abi {

enum class Syscall : u64 {
    Exit = 0,        // (int status) -> does not return
    Read = 1,        // (int fd, void* buffer, usize length) -> bytes read (0 at end of file)
    Write = 2,       // (int fd, const void* buffer, usize length) -> bytes written
    Open = 3,        // (const char* path, u32 flags) -> fd
    Close = 4,       // (int fd) -> 0
    Seek = 5,        // (int fd, i64 offset, int whence) -> new offset
    Stat = 6,        // (const char* path, Stat* out) -> 0
    Fstat = 7,       // (int fd, Stat* out) -> 0
    ReadDir = 8,     // (int fd, DirEntry* out, usize count) -> entries written (0 at the end)
    Mkdir = 9,       // (const char* path) -> 0
    Unlink = 10,     // (const char* path) -> 0   (files only)
    Rmdir = 11,      // (const char* path) -> 0   (empty directories only)
    Rename = 12,     // (const char* from, const char* to) -> 0
    Truncate = 13,   // (const char* path, u64 length) -> 0
    Spawn = 14,      // (const SpawnRequest* request) -> pid
    Wait = 15,       // (int pid, int* status) -> pid; pid -1 waits for any child
    GetPid = 16,     // () -> pid
    Sleep = 17,      // (u64 milliseconds) -> 0
    Time = 18,       // (TimeInfo* out) -> 0
    Chdir = 19,      // (const char* path) -> 0
    Getcwd = 20,     // (char* buffer, usize length) -> length of the path without NUL
    Info = 21,       // (InfoKind kind, char* buffer, usize length) -> bytes of text (may be cut)
    MapPages = 22,   // (unsigned order) -> address of 2^order zeroed, naturally aligned pages
    UnmapPages = 23, // (void* address, unsigned order) -> 0
    Machine = 24,    // (MachineCommand command) -> does not return (or -errno)
    KTest = 25,      // (const char* prefix) -> number of failed self tests (output on console)
    Kill = 26,       // (int pid) -> 0
    ExtControl =
        27,       // (ExtOperation op, const void* in, usize in_length, void* out, usize out_length)
                  //   -> bytes written to out (List, and Load's problem text), or -errno
    Dup2 = 28,    // (int from, int to) -> to
    Mount = 29,   // (const char* type, const char* device, const char* path) -> 0: mounts a
                  //   file system an extension registered (nooks/fs.h)
    Unmount = 30, // (const char* path) -> 0: only volumes mounted with Mount
    Sync = 31,    // (u64 flags) -> 0: every volume's and disk's cached writes reach the disks;
                  //   with SYNC_DROP_CACHE the clean cached pages are then forgotten
                  //   (a benchmark's cold start)
    Net = 32,     // (NetOperation op, const void* in, usize in_length, void* out, usize out_length)
                  //   -> bytes of text written to out, or -errno
    // Sockets (TCP and UDP over IPv4): descriptors like files — Read and Write are receive and
    // send, Close closes. A blocking call waits as long as the socket's timeouts allow
    // (SocketOption), by default without end.
    Socket = 33,      // (SocketType type) -> fd
    Connect = 34,     // (int fd, const SocketAddress* address) -> 0
    Bind = 35,        // (int fd, const SocketAddress* address) -> 0
    Listen = 36,      // (int fd, int backlog) -> 0
    Accept = 37,      // (int fd, SocketAddress* peer or null) -> fd of the connection
    SendTo = 38,      // (int fd, const void* data, usize length, const SocketAddress* to) -> bytes
    ReceiveFrom = 39, // (int fd, void* buffer, usize length, SocketAddress* from or null) -> bytes
    SetSocketOption = 40, // (int fd, SocketOption option, u64 value) -> 0
    Shutdown = 41,        // (int fd, ShutdownHow how) -> 0
    Poll = 42,            // (PollEntry* entries, usize count, i64 timeout_ms; -1: no limit)
                          //   -> entries with events (sockets only)
    SocketName = 43,      // (int fd, SocketAddress* local, SocketAddress* peer or null) -> 0
    Count
};

enum class SocketType : u64 { Stream = 1, Datagram = 2 };

// An IPv4 endpoint, in host byte order.
struct SocketAddress {
    u32 address;
    u16 port;
    u16 reserved;
};

enum class SocketOption : u64 {
    ReceiveTimeoutMs = 0, // 0: wait without end
    SendTimeoutMs = 1,
    ReuseAddress = 2, // 0 or 1
    NoDelay = 3,      // TCP: 1 sends small writes at once
    KeepAlive = 4,
};

enum class ShutdownHow : u64 { Read = 0, Write = 1, Both = 2 };

constexpr u16 POLL_IN = 0x1;
constexpr u16 POLL_OUT = 0x4;
constexpr u16 POLL_ERR = 0x8;
constexpr u16 POLL_HUP = 0x10;

struct PollEntry {
    int fd;
    u16 events;  // POLL_IN, POLL_OUT
    u16 revents; // written back
};
constexpr usize MAX_POLL = 32;

constexpr u64 SYNC_DROP_CACHE = 1;

// Open flags (the Linux values, so programs read familiarly).
constexpr u32 O_RDONLY = 0;
constexpr u32 O_WRONLY = 1;
constexpr u32 O_RDWR = 2;
constexpr u32 O_ACCMODE = 3;
constexpr u32 O_CREAT = 0100;
constexpr u32 O_EXCL = 0200;
constexpr u32 O_TRUNC = 01000;
constexpr u32 O_APPEND = 02000;
constexpr u32 O_DIRECTORY = 0200000;

constexpr int SEEK_SET = 0;
constexpr int SEEK_CUR = 1;
constexpr int SEEK_END = 2;

constexpr usize MAX_PATH = 256;
constexpr usize MAX_NAME = 64;
constexpr usize MAX_ARGUMENT = 256;
constexpr usize MAX_ARGUMENTS = 32;
constexpr int MAX_FDS = 32;

enum class FileType : u32 {
    Regular = 1,
    Directory = 2,
    CharDevice = 3,
    Socket = 4, // a network socket (Socket); read and write are recv and send
};

struct Stat {
    u64 size;
    u64 inode;
    FileType type;
    u32 links;
    u64 modified_ns; // nanoseconds since boot at the last change
};

struct DirEntry {
    char name[MAX_NAME];
    FileType type;
    u32 reserved;
    u64 size;
};

// Spawn: run `path` as a new child process. fds[i] names the parent descriptor that becomes the
// child's descriptor i (stdin, stdout, stderr); -1 leaves it closed.
struct SpawnRequest {
    const char* path;
    const char* const* argv; // argv[0..argc), argc <= MAX_ARGUMENTS
    u64 argc;
    int fds[3];
    u32 reserved;
};

struct TimeInfo {
    u64 uptime_ns;
    u64 tsc;
    u64 tsc_hz;
};

// Kernel-formatted reports the shell prints.
enum class InfoKind : u64 {
    Processes = 0, // ps
    Memory = 1,    // mem
    Log = 2,       // dmesg
    Pci = 3,       // lspci
    Irqs = 4,      // irqs
    Uptime = 5,    // uptime
    Benchmark = 6, // bench: context-switch and syscall costs, measured on the spot
    Disks = 7,     // lsblk: block devices, their traffic, and the buffer cache
    Mounts = 8,    // mount (no arguments): what is mounted where
    DiskUsage = 9, // df: size and free space of mounted volumes
};

// ExtControl operations (the shell's `ext` command).
enum class ExtOperation : u32 {
    List = 0,    // out: the table as text
    Load = 1,    // in: ExtLoadRequest; out: a problem description when loading fails
    Unload = 2,  // in: the extension's name (NUL-terminated)
    Crash = 3,   // in: ExtCrashRequest; out: what happened, as text
    Restart = 4, // in: the extension's name
    Stats = 5,   // in: the extension's name; out: its statistics as text
    Bench = 6,   // out: the XPC benchmark report as text
    Checks = 7,  // in: "fail" or "report" — what a failed wrapper check does
    Trace = 8,   // in: the extension's name; out: its last crossings as text
};

struct ExtCrashRequest {
    char name[32];
    char kind[32];
    // 0: fire at the next crossing, and wait for it. N > 0: let N crossings of the running
    // extension pass first and return at once; `times` > 1 fires again every N crossings
    // (counting only while it runs, so never in its restart), that many times in all.
    u32 after;
    u32 times;
};

enum class ExtMode : u32 { Native = 0, Isolated = 1 };

// Net operations (the shell's ifconfig, dhcp, ping, netstat).
enum class NetOperation : u32 {
    Interfaces = 0, // out: every interface, its address, MAC, link and counters
    Dhcp = 1,       // in: an interface name ("" for eth0); waits up to DHCP_WAIT_MS; out: the lease
    Ping = 2,       // in: PingRequest; out: a line per reply, then the summary
    Connections = 3, // out: TCP and UDP sockets with their states
    Configure = 4,   // in: InterfaceConfig; a static address (DHCP stops); out: the new setting
    Iperf = 5,       // in: IperfRequest; one TCP throughput test against iperf 2; out: the result
};

struct IperfRequest {
    u32 send;       // 0: receive (wait for a client on `port`), 1: send to address:port
    u32 address;    // host byte order (send)
    u32 port;       // 1..65535
    u32 timeout_ms; // 1000..120000
};

struct InterfaceConfig {
    char name[16]; // "eth0"
    u32 address;   // host byte order
    u32 netmask;
    u32 gateway; // 0: none
    u32 reserved;
};

constexpr u32 DHCP_WAIT_MS = 10000;

struct PingRequest {
    u32 address; // IPv4, host byte order
    u32 count;   // 1..1000
    u32 payload; // bytes of data, 0..1400
    u32 interval_ms;
    u32 timeout_ms; // per request, 1..60000
    u32 received;   // written back: how many replies came
};

struct ExtLoadRequest {
    const char* path;
    ExtMode mode;
    u32 reserved;
    const char* parameters; // "key=value ..." for nk_param, or null
};

enum class MachineCommand : u64 {
    PowerOff = 0,
    Reboot = 1,
};

// Exit status of a process the kernel killed for a fault: 128 + the exception vector
// (e.g. 142 for a page fault).
constexpr int EXIT_STATUS_FAULT_BASE = 128;
// Exit status of a process ended by Kill (as a shell reports SIGKILL).
constexpr int EXIT_STATUS_KILLED = 137;

// User address space: programs are linked at USER_IMAGE_BASE; the stack grows down from
// USER_STACK_TOP; MapPages hands out memory from USER_HEAP_BASE up.
constexpr u64 USER_IMAGE_BASE = 0x400000;
constexpr u64 USER_HEAP_BASE = 0x0000100000000000ull;
constexpr u64 USER_STACK_TOP = 0x00007ffffff00000ull;
constexpr u64 USER_STACK_SIZE = 256 * 1024;
constexpr u64 USER_SPACE_END = 0x0000800000000000ull;

} // namespace nk::abi
