// The careless driver: one extension carrying the bugs real drivers have, one per load, chosen
// with `ext load /lib/modules/buggy.ko bug=NAME`. Each is a bug a plausible driver author could
// write (issue 8 of the project lists the classes); the kernel must survive every one of them,
// end it in a refused load, a recovery or a disabled extension with a message, and get its
// memory back. Without `bug=` (or with `bug=none`) it is a well-behaved service.
//
// The bugs, by class:
//   init:       init-null, init-bad-free, init-hang, init-sleep-forever, reinit-null,
//               reinit-poll, reinit-poll-sleep (the reinit-* ones strike when init runs again
//               during a recovery; `ext crash buggy null` starts one)
//   interrupt:  timer-sleep, timer-mutex, timer-thread-stop (blocking calls from a timer
//               callback, which runs in interrupt context), timer-hang (a callback that polls
//               forever, with interrupts off: only the NMI watchdog sees it)
//   CPU state:  dir-flag (the direction and alignment-check flags left set, in a kernel call and
//               on return), clobber (every callee-saved register and the frame pointer
//               trashed on return)
//   unload:     exit-null (a fault in exit)
//   threads:    thread-ignore-stop (a thread that never looks at nk_thread_should_stop),
//               deadlock (a thread keeps the mutex the status call needs)
//   interrupts: irq-storm (claims QEMU's e1000, makes it raise an interrupt, and its handler —
//               in the first incarnation only — never reads ICR, so the line keeps firing)
//   privileged: cli, hlt, outb-pic, wrmsr, mov-cr3, port-unclaimed (each strikes in the status
//               call, `ext stats buggy`: at CPL 1 it faults at once)
//   locks:      spinlock-leak (the status call returns holding a spinlock)
//   good:       port-io (its own claimed ports, no crossing), spinlock (a lock shared with a 1 ms
//               timer: the timer never runs inside it)
//   leaks:      leak-heap, leak-dma, leak-timers, leak-threads, leak-irqs, leak-devices (take
//               until the kernel says no; init logs how many it got and still succeeds)
#include <nooks/block.h>
#include <nooks/extension.h>
#include <nooks/kernel_api.h>
#include <nooks/service.h>
#include <nooks/support.h>

// What init's entry does on its way out: bit 0 trashes the registers, bit 1 sets the direction
// flag (the asm at the end of this file).
extern "C" {
volatile unsigned char buggy_on_return = 0;
}

namespace {

volatile long* volatile g_null = nullptr;
volatile unsigned g_device_ready = 0; // a "device bit" that never comes up

char g_bug[32] = {};
nk_mutex_handle g_lock = nullptr;
nk_thread_handle g_thread = nullptr;
nk_thread_handle g_leaker = nullptr;
nk_timer_handle g_timer = nullptr;
volatile unsigned long g_rounds = 0;

bool bug_is(const char* name) {
    const char* a = g_bug;
    while (*a && *a == *name) {
        ++a;
        ++name;
    }
    return *a == *name;
}

// ---- Threads.

void ignore_stop(void*) {
    // Never asks nk_thread_should_stop(): sleeps and counts forever.
    for (;;) {
        g_rounds = g_rounds + 1;
        nk_sleep_ms(5);
    }
}

void hold_lock_forever(void*) {
    nk_mutex_lock(g_lock);
    for (;;) {
        g_rounds = g_rounds + 1;
        nk_sleep_ms(5);
    }
}

void polite(void*) {
    while (!nk_thread_should_stop()) {
        g_rounds = g_rounds + 1;
        nk_sleep_ms(5);
    }
}

// ---- Timer callbacks (interrupt context: none of these may block).

void sleep_in_timer(void*) {
    nk_sleep_ms(1);
}

void lock_in_timer(void*) {
    nk_mutex_lock(g_lock);
    nk_mutex_unlock(g_lock);
}

void stop_thread_in_timer(void*) {
    nk_thread_stop(g_thread);
}

void hang_in_timer(void*) {
    while (!g_device_ready)
        asm volatile("pause");
}

// ---- Leaks: take until refused (bounded, in case nothing refuses).

volatile unsigned long g_ticks = 0;

void count_tick(void*) {
    g_ticks = g_ticks + 1;
}

int not_mine(void*) {
    return 0;
}

nk_status no_transfer(void*, nooks_block_request*) {
    return -NK_EIO;
}
const nooks_block_ops g_block_ops = {no_transfer};

// Logs how many were granted and the error that ended it.
void report_leak(long granted, long error) {
    nk_log("buggy: %s: %ld granted, then %ld\n", g_bug, granted, error);
}

// A leak builds up over time, as a driver's would (a buffer lost per request): a thread takes
// one item after another, pausing now and then.
void leak(void*) {
    constexpr long BOUND = 100000;
    long granted = 0;
    long error = 0;
    for (; granted < BOUND && error >= 0; ++granted) {
        if (granted % 16 == 15)
            nk_sleep_ms(1);
        if (bug_is("leak-heap")) {
            error = nk_malloc(64 * 1024) ? 0 : -NK_ENOMEM;
        } else if (bug_is("leak-dma")) {
            uint64_t bus;
            nk_dma_handle handle;
            error = nk_dma_alloc(64 * 1024, &bus, &handle) ? 0 : -NK_ENOMEM;
        } else if (bug_is("leak-timers")) {
            nk_timer_handle timer;
            error = nk_timer_start(1, 1, count_tick, nullptr, &timer);
        } else if (bug_is("leak-threads")) {
            nk_thread_handle thread;
            error = nk_thread_create("leaked", polite, nullptr, &thread);
        } else if (bug_is("leak-irqs")) {
            nk_irq_handle irq;
            error = nk_request_irq(10, not_mine, nullptr, &irq);
        } else if (bug_is("leak-devices")) {
            char name[8] = {
                'l', 'e', 'a', 'k', char('0' + granted / 10 % 10), char('0' + granted % 10), 0};
            nooks_block_device_info info = {{}, 512, 0, 8};
            for (int i = 0; i < 7; ++i)
                info.name[i] = name[i];
            nk_blkdev_handle device;
            error = nk_blkdev_register(&info, &g_block_ops, nullptr, &device);
        }
    }
    report_leak(granted - 1, error);
}

// ---- An interrupt storm on a real device: the e1000 (8254x manual §13.4.17-13.4.20: ICR at
// 0xC0 is read-to-clear, ICS at 0xC8 sets causes, IMS at 0xD0 enables them).

constexpr unsigned E1000_ICR = 0xc0 / 4;
constexpr unsigned E1000_ICS = 0xc8 / 4;
constexpr unsigned E1000_IMS = 0xd0 / 4;
constexpr unsigned E1000_IMC = 0xd8 / 4;
constexpr uint32_t ICR_LSC = 1u << 2; // link status change

volatile uint32_t* g_nic_registers = nullptr;
volatile unsigned long g_interrupts = 0;

int nic_interrupt(void*) {
    g_interrupts = g_interrupts + 1;
    // The bug: the first incarnation claims the interrupt without reading ICR, so the cause stays
    // set and the level-triggered line fires again at once. A restarted copy reads it.
    if (nk_incarnation() > 1)
        return (g_nic_registers[E1000_ICR] & ICR_LSC) != 0;
    return 1;
}

void raise_link_change(void*) {
    g_nic_registers[E1000_IMS] = ICR_LSC;
    g_nic_registers[E1000_ICS] = ICR_LSC;
}

nk_status start_storm() {
    nk_pci_device nic;
    nk_status status = nk_pci_claim(0x8086, 0x100e, &nic);
    if (status < 0)
        return status;
    nk_pci_bar bar;
    status = nk_pci_get_bar(nic, 0, &bar);
    if (status < 0 || bar.is_io)
        return status < 0 ? status : -NK_ENODEV;
    nk_mmio_handle mapping;
    g_nic_registers = static_cast<volatile uint32_t*>(nk_ioremap(bar.address, 0x1000, &mapping));
    if (!g_nic_registers)
        return -NK_ENOMEM;
    long line = nk_pci_irq_line(nic);
    if (line < 0)
        return line;
    g_nic_registers[E1000_IMC] = ~0u;
    (void)g_nic_registers[E1000_ICR];
    nk_pci_enable(nic);
    nk_irq_handle irq;
    status = nk_request_irq(unsigned(line), nic_interrupt, nullptr, &irq);
    if (status < 0)
        return status;
    // The cause is raised a little after init, as a link change would be.
    return nk_timer_start(50, 0, raise_link_change, nullptr, &g_timer);
}

// ---- Privileged instructions and ports, in the status call.

void misbehave_in_status() {
    if (bug_is("cli"))
        asm volatile("cli");
    if (bug_is("hlt"))
        asm volatile("hlt");
    if (bug_is("outb-pic"))
        nk_io_out8(0x21, 0xff); // masks every IRQ on the master 8259
    if (bug_is("wrmsr"))        // a model-specific register that does not exist
        asm volatile("wrmsr" ::"c"(0x0badc0deu), "a"(0u), "d"(0u));
    if (bug_is("mov-cr3")) {
        unsigned long zero = 0;
        asm volatile("mov %0, %%cr3" ::"r"(zero));
    }
    if (bug_is("port-unclaimed"))
        (void)nk_io_in8(0x64); // the keyboard controller: nobody's device
}

// ---- port-io: the IDE controller's own ports, straight from the extension.

uint16_t g_bus_master_port = 0;
unsigned g_port_reads = 0;
unsigned g_last_status = 0;

nk_status claim_ide() {
    nk_pci_device ide;
    nk_status status = nk_pci_claim(0x8086, 0x7010, &ide);
    if (status < 0)
        return status;
    nk_pci_bar bar;
    status = nk_pci_get_bar(ide, 4, &bar); // bus-master IDE registers (an I/O BAR)
    if (status < 0 || !bar.is_io)
        return status < 0 ? status : -NK_ENODEV;
    g_bus_master_port = uint16_t(bar.address);
    return 0;
}

void read_own_ports() {
    g_last_status = nk_io_in8(0x3f6); // legacy: alternate status
    uint8_t bus_master_status = nk_io_in8(g_bus_master_port + 2);
    uint16_t words[4];
    nk_io_ins16(0x1f0, words, 4); // the data port, rep insw
    (void)bus_master_status;
    g_port_reads = g_port_reads + 6;
}

// ---- spinlock: shared with a 1 ms timer, which must never run inside it.

nk_spinlock g_spin = NK_SPINLOCK_INIT;
volatile unsigned long g_spin_ticks = 0;
volatile unsigned long g_violations = 0;

void spin_tick(void*) {
    unsigned long flags = nk_spin_lock_irqsave(&g_spin);
    g_spin_ticks = g_spin_ticks + 1;
    nk_spin_unlock_irqrestore(&g_spin, flags);
}

void exercise_spinlock() {
    for (int round = 0; round < 200; ++round) {
        unsigned long flags = nk_spin_lock_irqsave(&g_spin);
        unsigned long before = g_spin_ticks;
        uint64_t until = nk_uptime_ns() + 100000; // 0.1 ms inside
        while (nk_uptime_ns() < until)
            __builtin_ia32_pause();
        if (g_spin_ticks != before)
            g_violations = g_violations + 1;
        nk_spin_unlock_irqrestore(&g_spin, flags);
    }
}

// ---- init and exit.

nk_status start_bug() {
    uint64_t incarnation = nk_incarnation();
    if (bug_is("init-null"))
        return *g_null;
    if (bug_is("init-bad-free")) {
        nk_free(reinterpret_cast<void*>(0xffffffff80100000ul));
        return 0;
    }
    if (bug_is("init-hang")) {
        while (!g_device_ready)
            asm volatile("pause");
        return 0;
    }
    if (bug_is("init-sleep-forever")) {
        while (!g_device_ready)
            nk_sleep_ms(50);
        return 0;
    }
    if (incarnation > 1 && bug_is("reinit-null"))
        return *g_null;
    if (incarnation > 1 && bug_is("reinit-poll")) {
        while (!g_device_ready)
            asm volatile("pause");
        return 0;
    }
    if (incarnation > 1 && bug_is("reinit-poll-sleep")) {
        while (!g_device_ready)
            nk_sleep_ms(10);
        return 0;
    }
    if (bug_is("timer-sleep"))
        return nk_timer_start(5, 0, sleep_in_timer, nullptr, &g_timer);
    if (bug_is("timer-mutex"))
        return nk_timer_start(5, 0, lock_in_timer, nullptr, &g_timer);
    if (bug_is("timer-hang"))
        return nk_timer_start(5, 0, hang_in_timer, nullptr, &g_timer);
    if (bug_is("timer-thread-stop")) {
        nk_status status = nk_thread_create("polite", polite, nullptr, &g_thread);
        return status < 0 ? status : nk_timer_start(5, 0, stop_thread_in_timer, nullptr, &g_timer);
    }
    if (bug_is("dir-flag")) {
        // Direction flag (bit 10) and alignment check (bit 18) set, then a kernel call whose
        // implementation copies strings.
        asm volatile("pushfq; orq $0x40400, (%%rsp); popfq" ::: "memory", "cc");
        nk_log("dir-flag: %s\n", "this line reached the log intact");
        asm volatile("pushfq; orq $0x40400, (%%rsp); popfq" ::: "memory", "cc");
        return 0;
    }
    if (bug_is("irq-storm"))
        return start_storm();
    if (bug_is("port-io"))
        return claim_ide();
    if (bug_is("spinlock"))
        return nk_timer_start(1, 1, spin_tick, nullptr, &g_timer);
    if (bug_is("thread-ignore-stop"))
        return nk_thread_create("ignorer", ignore_stop, nullptr, &g_thread);
    if (bug_is("deadlock"))
        return nk_thread_create("holder", hold_lock_forever, nullptr, &g_thread);
    const char leak_prefix[] = "leak-";
    for (unsigned i = 0; i < sizeof leak_prefix - 1; ++i)
        if (g_bug[i] != leak_prefix[i])
            return 0;
    return nk_thread_create("leaker", leak, nullptr, &g_leaker);
}

nk_status buggy_init_body() {
    nk_status found = nk_param("bug", g_bug, sizeof g_bug);
    if (found < 0)
        g_bug[0] = 0;
    nk_status status = nk_mutex_create(&g_lock);
    if (status < 0)
        return status;
    if (bug_is("clobber"))
        buggy_on_return = 1;
    if (bug_is("dir-flag"))
        buggy_on_return = 2;
    nk_log("buggy: incarnation %lu, bug %s\n", static_cast<unsigned long>(nk_incarnation()), g_bug);
    return start_bug();
}

void buggy_exit() {
    if (bug_is("exit-null"))
        (void)*g_null;
    // With thread-ignore-stop and deadlock the thread never ends by itself: this stop is the
    // wait the kernel must bound.
    if (g_thread && !bug_is("timer-thread-stop"))
        nk_thread_stop(g_thread);
}

// ---- The status line: "bug NAME, incarnation N, N rounds".

nk_status status(char* buffer, size_t size) {
    if (size == 0)
        return -NK_EINVAL;
    misbehave_in_status();
    if (bug_is("port-io"))
        read_own_ports();
    if (bug_is("spinlock"))
        exercise_spinlock();
    if (bug_is("spinlock-leak"))
        (void)nk_spin_lock_irqsave(&g_spin);
    // With bug=deadlock, the holder thread never gives this back.
    nk_mutex_lock(g_lock);
    nk_mutex_unlock(g_lock);
    auto incarnation = static_cast<unsigned long>(nk_incarnation());
    // What the bug at hand counts (the line has room for little more).
    if (bug_is("irq-storm"))
        nk_snprintf(buffer, size, "bug %s, incarnation %lu, %lu interrupts", g_bug, incarnation,
                    static_cast<unsigned long>(g_interrupts));
    else if (bug_is("port-io"))
        nk_snprintf(buffer, size, "bug %s, incarnation %lu, %lu port reads", g_bug, incarnation,
                    static_cast<unsigned long>(g_port_reads));
    else if (bug_is("spinlock"))
        nk_snprintf(buffer, size, "bug %s, incarnation %lu, %lu locked ticks, %lu violations",
                    g_bug, incarnation, static_cast<unsigned long>(g_spin_ticks),
                    static_cast<unsigned long>(g_violations));
    else
        nk_snprintf(buffer, size, "bug %s, incarnation %lu, %lu rounds", g_bug, incarnation,
                    static_cast<unsigned long>(g_rounds));
    return 0;
}

const nooks_service_ops g_ops = {status};

} // namespace

// init as the kernel calls it: the C++ body, then — for bug=clobber — every callee-saved
// register and the frame pointer overwritten on the way out, which no compiler would emit (and
// for bug=dir-flag, the direction flag left set).
extern "C" nk_status buggy_init_body_entry() {
    return buggy_init_body();
}
extern "C" nk_status buggy_init();
asm(R"(
    .text
    .globl buggy_init
    .type buggy_init, @function
buggy_init:
    subq $8, %rsp
    call buggy_init_body_entry
    addq $8, %rsp
    testb $2, buggy_on_return(%rip)
    jz 2f
    std
2:
    testb $1, buggy_on_return(%rip)
    jz 1f
    movabsq $0xbadbadbadbad0001, %rbx
    movabsq $0xbadbadbadbad0002, %rbp
    movabsq $0xbadbadbadbad0003, %r12
    movabsq $0xbadbadbadbad0004, %r13
    movabsq $0xbadbadbadbad0005, %r14
    movabsq $0xbadbadbadbad0006, %r15
1:
    ret
    .size buggy_init, . - buggy_init
)");

NOOKS_MODULE("buggy", NOOKS_CLASS_SERVICE, buggy_init, buggy_exit, &g_ops);
