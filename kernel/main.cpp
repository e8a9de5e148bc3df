// kmain: the kernel's initialisation, in order. Each step depends only on the ones above it.
#include <arch/x86/cpu_features.h>
#include <arch/x86/gdt.h>
#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/machine.h>
#include <kernel/block/buffer_cache.h>
#include <kernel/boot/command_line.h>
#include <kernel/boot/extension_modules.h>
#include <kernel/boot/multiboot2.h>
#include <kernel/console/console.h>
#include <kernel/console/console_input.h>
#include <kernel/console/ps2_keyboard.h>
#include <kernel/debug/fault_trigger.h>
#include <kernel/debug/panic.h>
#include <kernel/fs/fs.h>
#include <kernel/interrupts/irq.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/net/stack.h>
#include <kernel/pci/pci.h>
#include <kernel/process/processes.h>
#include <kernel/sched/deferred_work.h>
#include <kernel/sched/kernel_stack.h>
#include <kernel/sched/scheduler.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>
#include <nooks/network_boot.h>
#include <nooks/nooks.h>
#include <nooks/storage_boot.h>
#include <nooks/web_server_boot.h>
#include <nooks/xpc.h>
#include <nooks/xpc_benchmark.h>

#include <stdio.h>
#include <string.h>

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace kernel {

namespace {

BootInfo g_boot_info;

void run_global_constructors() {
    for (auto* constructor = __init_array_start; constructor < __init_array_end; ++constructor)
        (*constructor)();
}

void print_memory(const BootInfo& info) {
    unsigned available_regions = 0;
    for (nk::usize i = 0; i < info.memory_count; ++i)
        available_regions += info.memory[i].type == MemoryType::Available;
    const auto& summary = memory::summary();
    FrameStats frames = memory::frames().stats();
    kprintf("memory: %llu KiB available in %u of %zu regions; %llu KiB managed, %llu KiB reserved "
            "(kernel, boot info, %zu modules, frame metadata)\n",
            (unsigned long long)(available_memory_bytes(info) / 1024), available_regions,
            info.memory_count, (unsigned long long)(summary.usable_bytes / 1024),
            (unsigned long long)(summary.reserved_bytes / 1024), info.module_count);
    if (summary.ignored_bytes)
        kprintf("memory: %llu KiB above 4 GiB not used\n",
                (unsigned long long)(summary.ignored_bytes / 1024));
    kprintf("memory: frames %llu total, %llu free, %llu used; physmap %llu MiB at %#llx; kernel "
            "page tables %llu pages\n",
            (unsigned long long)frames.total_frames, (unsigned long long)frames.free_frames,
            (unsigned long long)frames.used_frames,
            (unsigned long long)(summary.physmap_bytes >> 20), (unsigned long long)PHYSMAP_BASE,
            (unsigned long long)summary.kernel_table_pages);
}

void print_cpu(const x86::EnabledFeatures& enabled) {
    const x86::CpuFeatures& cpu = x86::cpu_features();
    kprintf("cpu: %s \"%s\", %u-bit physical, %u-bit linear addresses\n", cpu.vendor, cpu.brand,
            cpu.physical_address_bits, cpu.linear_address_bits);
    kprintf("cpu: has%s%s%s%s%s%s%s%s\n", cpu.nx ? " nx" : "", cpu.pcid ? " pcid" : "",
            cpu.invpcid ? " invpcid" : "", cpu.smep ? " smep" : "", cpu.smap ? " smap" : "",
            cpu.pku ? " pku" : "", cpu.pge ? " pge" : "", cpu.huge_1g ? " 1g-pages" : "");
    kprintf("cpu: enabled%s%s%s%s%s%s\n", enabled.nx ? " nx" : "",
            enabled.write_protect ? " wp" : "", enabled.pge ? " pge" : "",
            enabled.smep ? " smep" : "", enabled.smap ? " smap" : "", enabled.pcid ? " pcid" : "");
    kprintf("cpu: PCID %s\n",
            enabled.pcid ? "enabled" : "not available (every CR3 load flushes the TLB)");
    kprintf("clock: TSC %llu.%03llu MHz, tick %u Hz\n",
            (unsigned long long)(clock::tsc_hz() / 1000000),
            (unsigned long long)(clock::tsc_hz() / 1000 % 1000), clock::TICK_HZ);
}

// /dev/console: raw reads from the console input queue (a killed reader stops waiting), writes
// to every console output.
void register_console_device() {
    static const fs::CharDeviceOps ops = {
        [](void*, nk::u8* buffer, nk::usize length) -> nk::Result<nk::usize> {
            return console::read_input(reinterpret_cast<char*>(buffer), length,
                                       processes::current_kill_pending);
        },
        [](void*, const nk::u8* buffer, nk::usize length) -> nk::Result<nk::usize> {
            console::write_user_output(reinterpret_cast<const char*>(buffer), length);
            return length;
        },
    };
    if (auto result = fs::register_char_device("console", ops, nullptr); result.is_error())
        panic("cannot register /dev/console: %s", nk::error_string(result.error()));
}

// The initial ramdisk is the Multiboot2 module whose command line is "initrd".
void unpack_initrd() {
    for (nk::usize i = 0; i < g_boot_info.module_count; ++i) {
        const BootModule& module = g_boot_info.modules[i];
        if (strcmp(module.command_line, "initrd") != 0)
            continue;
        auto summary =
            fs::extract_initrd(phys_to_virt<nk::u8>(module.start), module.end - module.start);
        if (summary.is_error()) {
            kprintf("initrd: unusable (%s); continuing without it\n",
                    nk::error_string(summary.error()));
            return;
        }
        kprintf("initrd: %u files, %u directories unpacked (%u bytes)\n",
                unsigned(summary.value().files), unsigned(summary.value().directories),
                unsigned(module.end - module.start));
        return;
    }
    kprintf("initrd: no module named \"initrd\"; / holds only /dev\n");
}

// The first process: /bin/init, or the program named by init=PATH (tests run one that way).
void start_init() {
    static char path[64];
    const char* chosen = command_line::value("init");
    strncpy(path, chosen ? chosen : "/bin/init", sizeof path - 1);
    const char* const argv[] = {path};
    processes::SpawnOptions options = {path, argv, 1, nullptr, nullptr};
    auto init = processes::spawn(options);
    if (init.is_error()) {
        kprintf("boot: cannot start %s: %s; the kernel idles\n", path,
                nk::error_string(init.error()));
        return;
    }
    kprintf("boot: started %s (pid %d)\n", path, init.value()->pid);
}

// Runs once the scheduler is up: self tests, deliberate faults, then the first user process.
void kernel_main_thread(void*) {
    // Devices, files and the system call layer, which need threads (mutexes) to exist.
    pci::init();
    ps2_keyboard::init();
    console::init_input();
    fs::init();
    // The buffer cache's flusher from the start: a thread that appears with the first disk
    // would look like a leak to whoever counted threads before.
    block::start_cache_flusher();
    register_console_device();
    unpack_initrd();
    publish_extension_modules(g_boot_info);
    syscalls::init();
    nooks::init();

    if (const char* kind = command_line::value("fault")) {
        kprintf("boot: triggering a deliberate fault: %s\n", kind);
        if (!trigger_fault(kind))
            kprintf("boot: unknown fault kind \"%s\" (page, gp, ud, div0, stack, panic)\n", kind);
    }
    if (command_line::has("ktest")) {
        // command_line::value() reuses one buffer: copy the first value out.
        char prefix[64] = "";
        if (const char* value = command_line::value("ktest"))
            strncpy(prefix, value, sizeof prefix - 1);
        auto summary = ktest::run(prefix, command_line::value("ktest.skip"));
        x86::machine::exit_emulator(summary.failed == 0 && summary.passed > 0
                                        ? x86::machine::ExitCode::Success
                                        : x86::machine::ExitCode::Failure);
    }
    if (command_line::has("xpcbench")) {
        // For emulators where nothing can be typed (Bochs): the XPC benchmark, then off.
        static char report[2048];
        auto length = nooks::run_xpc_benchmark(report, sizeof report);
        if (length.has_value())
            kprintf("%s", report);
        x86::machine::power_off();
    }
    if (command_line::has("poweroff"))
        x86::machine::power_off();
    if (auto started = kernel::net::start_stack(); started.is_error())
        kprintf("net: the TCP/IP stack did not start: %s\n", nk::error_name(started.error()));
    if (!command_line::has("nostorage"))
        nooks::start_storage();
    nooks::start_network();
    nooks::start_web_server();
    start_init();
    sched::exit_current();
}

[[noreturn]] void idle() {
    for (;;)
        sched::idle_halt();
}

} // namespace

extern "C" [[noreturn]] void kmain(nk::u32 magic, nk::u64 info_phys) {
    // 1. Output first, so that everything after can report.
    console::init_serial();
    // 2. Our own GDT/TSS (IST stacks) and IDT: from here a fault prints a report.
    x86::gdt_init();
    x86::idt_init();
    // A fault in ring 3 ends that process; one in the kernel is a kernel bug.
    // A fault in ring 3 ends that process; one inside an isolated extension's crossing fails
    // and restarts that extension; anything else in the kernel is a kernel bug.
    x86::set_unhandled_exception_handler([](x86::InterruptFrame& frame) {
        if (frame.from_user())
            processes::on_user_fault(frame);
        nooks::handle_extension_fault(frame);
        panic_on_exception(frame);
    });
    console::init_vga();
    init_symbols();
    kprintf("\nNooks research kernel (x86_64) booting\n");

    // 3. What the loader tells us. The boot stub's page tables map 0..4 GiB into the physmap.
    if (magic != MULTIBOOT2_BOOTLOADER_MAGIC)
        panic("not started by a Multiboot2 loader (magic %#x)", magic);
    if (info_phys >= EARLY_PHYSMAP_LIMIT)
        panic("boot information at %#llx is beyond the early physmap",
              (unsigned long long)info_phys);
    auto parsed = parse_multiboot2(phys_to_virt(info_phys), EARLY_PHYSMAP_LIMIT - info_phys);
    if (parsed.is_error())
        panic("malformed Multiboot2 boot information: %s", nk::error_string(parsed.error()));
    g_boot_info = parsed.release_value();
    command_line::init(g_boot_info.command_line);
    if (command_line::has("novga"))
        console::stop_vga();
    kprintf("boot: loader \"%s\", command line \"%s\"\n", g_boot_info.bootloader_name,
            command_line::text());

    // 4. Physical memory, then the kernel's own page tables, then the CPU's protection features
    //    (PCID needs CR3's low bits clear, which holds for the kernel's tables), then the heap.
    if (auto result = memory::init_frames(g_boot_info, info_phys); result.is_error())
        panic("frame allocator: %s", nk::error_string(result.error()));
    // boot.S turned EFER.NXE on when the CPU has NX; without it the NX bit must stay clear.
    x86::PageTable::set_no_execute_available(x86::cpu_features().nx);
    if (auto result = memory::init_paging(); result.is_error())
        panic("kernel page tables: %s", nk::error_string(result.error()));
    auto enabled =
        x86::enable_cpu_features(!command_line::has("nopcid"), !command_line::has("nosmap"));
    memory::init_heap();
    // 5. C++ global constructors may allocate, so they run once the heap exists.
    run_global_constructors();

    // 6. Threads: the boot context becomes the idle thread; kernel stacks get their region.
    if (auto result = kernel_stacks::init(); result.is_error())
        panic("kernel stacks: %s", nk::error_string(result.error()));
    sched::init();

    // 7. Interrupts and time, then the bottom-half worker.
    irq::init();
    clock::init();
    x86::enable_interrupts();
    if (auto result = deferred_work::init(); result.is_error())
        panic("deferred work: %s", nk::error_string(result.error()));

    print_cpu(enabled);
    print_memory(g_boot_info);
    nk::u64 boot_ns = clock::nanoseconds_since_boot();
    kprintf("boot: kernel initialised in %llu.%03llu ms since entry\n",
            (unsigned long long)(boot_ns / 1000000), (unsigned long long)(boot_ns / 1000 % 1000));

    // 8. Everything else runs in the first kernel thread; this context becomes the idle thread,
    //    which must never block.
    auto main_thread = sched::create_thread("kmain", kernel_main_thread, nullptr);
    if (main_thread.is_error())
        panic("cannot create the main kernel thread: %s", nk::error_string(main_thread.error()));
    sched::start(main_thread.value());
    idle();
}

} // namespace kernel
