// System-wide calls: the reports the shell prints (ps, mem, dmesg, lspci, irqs, uptime, bench),
// power-off and reboot, the self tests, and the extension control call.
#include <arch/x86/machine.h>
#include <arch/x86/mmu.h>
#include <kernel/block/block_device.h>
#include <kernel/console/console.h>
#include <kernel/fs/file_system.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/vfs.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/pci/pci.h>
#include <kernel/process/processes.h>
#include <kernel/sched/kernel_stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/syscall/benchmarks.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/syscall/user_memory.h>
#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>
#include <nooks/fs_proxy.h>

#include <stdarg.h>
#include <stdio.h>

namespace kernel::syscalls {

namespace {

constexpr nk::usize REPORT_SIZE = 16 * 1024;

// A bounded text buffer that keeps appending safely when full.
class Report {
public:
    explicit Report(char* buffer, nk::usize size) : m_buffer(buffer), m_size(size) {}
    void add(const char* format, ...) __attribute__((format(printf, 2, 3))) {
        if (m_used + 1 >= m_size)
            return;
        va_list args;
        va_start(args, format);
        int written = vsnprintf(m_buffer + m_used, m_size - m_used, format, args);
        va_end(args);
        if (written > 0)
            m_used = nk::min(m_used + nk::usize(written), m_size - 1);
    }
    nk::usize length() const { return m_used; }

private:
    char* m_buffer;
    nk::usize m_size;
    nk::usize m_used = 0;
};

void memory_report(Report& report) {
    FrameStats frames = memory::frames().stats();
    HeapStats heap = memory::kernel_heap().stats();
    report.add("frames: %llu total (%llu KiB), %llu free, %llu used\n",
               (unsigned long long)frames.total_frames,
               (unsigned long long)(frames.total_frames * 4),
               (unsigned long long)frames.free_frames, (unsigned long long)frames.used_frames);
    report.add("heap: %llu live allocations, %llu bytes requested, %llu bytes of pages; "
               "%llu allocations and %llu frees so far, %llu errors detected\n",
               (unsigned long long)heap.live_allocations, (unsigned long long)heap.bytes_requested,
               (unsigned long long)heap.bytes_reserved, (unsigned long long)heap.total_allocations,
               (unsigned long long)heap.total_frees, (unsigned long long)heap.errors_detected);
    auto threads = sched::stats();
    auto processes = processes::stats();
    report.add("threads: %llu live, %llu kernel stacks; processes: %llu live, %llu spawned\n",
               (unsigned long long)threads.live_threads,
               (unsigned long long)kernel_stacks::live_count(), (unsigned long long)processes.live,
               (unsigned long long)processes.spawned);
}

void irq_report(Report& report) {
    report.add("IRQ  HANDLERS      COUNT  UNHANDLED  SPURIOUS  STORMS\n");
    for (unsigned line = 0; line < irq::LINE_COUNT; ++line) {
        auto stats = irq::stats(line);
        if (stats.handlers == 0 && stats.count == 0 && stats.spurious == 0)
            continue;
        report.add("%3u  %8u %10llu %10llu %9llu %7llu%s\n", line, stats.handlers,
                   (unsigned long long)stats.count, (unsigned long long)stats.unhandled,
                   (unsigned long long)stats.spurious, (unsigned long long)stats.storms,
                   stats.masked ? " (masked)" : "");
    }
}

void uptime_report(Report& report) {
    nk::u64 ns = clock::nanoseconds_since_boot();
    nk::u64 seconds = ns / 1000000000ull;
    report.add("up %llu:%02llu:%02llu.%03llu (%llu ticks, TSC %llu Hz)\n",
               (unsigned long long)(seconds / 3600), (unsigned long long)(seconds / 60 % 60),
               (unsigned long long)(seconds % 60), (unsigned long long)(ns / 1000000 % 1000),
               (unsigned long long)clock::ticks(), (unsigned long long)clock::tsc_hz());
}

// `mount` without arguments: "hda on /disk type vfat", the kernel's own file systems too.
void mounts_report(Report& report) {
    fs::vfs().for_each_mount(
        [](const char* path, fs::FileSystem& file_system, void* context) {
            const char* device = nooks::volume_device(file_system);
            static_cast<Report*>(context)->add("%s on %s type %s\n", device ? device : "none", path,
                                               file_system.name());
        },
        &report);
}

// `df`: the extension volumes (the kernel's RAM file systems have no size to speak of).
void usage_report(Report& report) {
    report.add("FILESYSTEM      SIZE(KiB)    USED(KiB)   AVAIL(KiB)  USE%%  MOUNTED ON\n");
    fs::vfs().for_each_mount(
        [](const char* path, fs::FileSystem& file_system, void* context) {
            auto& out = *static_cast<Report*>(context);
            const char* device = nooks::volume_device(file_system);
            if (!device)
                return;
            auto usage = nooks::volume_usage(file_system);
            if (usage.is_error()) {
                out.add("%-10s %s (%s)  %s\n", device, "unavailable",
                        nk::error_string(usage.error()), path);
                return;
            }
            nk::u64 total = usage.value().total_blocks * usage.value().block_size / 1024;
            nk::u64 free = nk::min(usage.value().free_blocks, usage.value().total_blocks) *
                           usage.value().block_size / 1024;
            nk::u64 used = total - free;
            out.add("%-10s %14llu %12llu %12llu %4llu%%  %s\n", device, (unsigned long long)total,
                    (unsigned long long)used, (unsigned long long)free,
                    (unsigned long long)(total ? (used * 100 + total - 1) / total : 0), path);
        },
        &report);
}

Result<nk::i64> sys_info(const Frame& frame) {
    auto kind = abi::InfoKind(frame.argument(0));
    nk::u64 user_buffer = frame.argument(1);
    nk::usize length = frame.argument(2);
    char* text = static_cast<char*>(kmalloc(REPORT_SIZE));
    if (!text)
        return Error::NoMemory;
    Report report(text, REPORT_SIZE);
    nk::usize size = 0;
    switch (kind) {
    case abi::InfoKind::Processes:
        size = processes::format_list(text, REPORT_SIZE);
        break;
    case abi::InfoKind::Memory:
        memory_report(report);
        size = report.length();
        size += processes::format_memory(text + size, REPORT_SIZE - size);
        break;
    case abi::InfoKind::Log:
        size = console::read_log(text, nk::min(length, REPORT_SIZE));
        break;
    case abi::InfoKind::Pci:
        size = pci::format_listing(text, REPORT_SIZE);
        break;
    case abi::InfoKind::Irqs:
        irq_report(report);
        size = report.length();
        break;
    case abi::InfoKind::Uptime:
        uptime_report(report);
        size = report.length();
        break;
    case abi::InfoKind::Benchmark:
        size = run_kernel_benchmarks(text, REPORT_SIZE);
        break;
    case abi::InfoKind::Disks:
        size = block::format_device_list(text, REPORT_SIZE);
        break;
    case abi::InfoKind::Mounts:
        mounts_report(report);
        size = report.length();
        break;
    case abi::InfoKind::DiskUsage:
        usage_report(report);
        size = report.length();
        break;
    default:
        kfree(text);
        return Error::Invalid;
    }
    size = nk::min(size, length);
    auto copied = user::copy_to(user_buffer, text, size);
    kfree(text);
    TRY(copied);
    return nk::i64(size);
}

// What `sync` does, before the machine stops: nothing written is lost to a clean shutdown.
void write_back_before_stopping() {
    auto volumes = nooks::sync_volumes();
    auto disks = block::sync_all();
    if (volumes.is_error() || disks.is_error())
        kprintf("system: writing back before stopping failed: %s\n",
                nk::error_string(volumes.is_error() ? volumes.error() : disks.error()));
}

Result<nk::i64> sys_machine(const Frame& frame) {
    switch (abi::MachineCommand(frame.argument(0))) {
    case abi::MachineCommand::PowerOff:
        write_back_before_stopping();
        kprintf("system: powering off\n");
        x86::machine::power_off();
    case abi::MachineCommand::Reboot:
        write_back_before_stopping();
        kprintf("system: rebooting\n");
        x86::machine::reboot();
    }
    return Error::Invalid;
}

Result<nk::i64> sys_ktest(const Frame& frame) {
    char prefix[64];
    if (frame.argument(0))
        TRY(user::copy_string(prefix, sizeof prefix, frame.argument(0)));
    else
        prefix[0] = 0;
    auto summary = ktest::run(prefix);
    return summary.failed;
}

} // namespace

void register_system_calls(Handler* table) {
    table[nk::u64(abi::Syscall::Info)] = sys_info;
    table[nk::u64(abi::Syscall::Machine)] = sys_machine;
    table[nk::u64(abi::Syscall::KTest)] = sys_ktest;
}

} // namespace kernel::syscalls
