#include <arch/x86/context.h>
#include <arch/x86/idt.h>
#include <arch/x86/interrupt_state.h>
#include <arch/x86/machine.h>
#include <arch/x86/mmu.h>
#include <kernel/console/console.h>
#include <kernel/debug/panic.h>
#include <kernel/fs/file_table.h>
#include <kernel/fs/fs.h>
#include <kernel/memory/address_space.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/process/executable_file.h>
#include <kernel/process/processes.h>
#include <kernel/process/program_loader.h>
#include <kernel/sched/scheduler.h>
#include <kernel/time/clock.h>

#include <stdio.h>
#include <string.h>

namespace kernel::processes {

namespace {

nk::IntrusiveList<Process, &Process::all_node> g_processes;
int g_next_pid = 1;
Stats g_stats;

Process* process_of(Thread* thread) {
    return thread ? thread->process : nullptr;
}

void user_thread_entry(void* argument) {
    auto* process = static_cast<Process*>(argument);
    auto* start = reinterpret_cast<LoadedProgram*>(process->start_info);
    LoadedProgram program = *start;
    kfree(start);
    process->start_info = nullptr;
    x86::enter_user_mode(program.entry, program.stack_pointer, program.argc, program.argv);
}

void free_process(Process* process) {
    g_processes.remove(*process);
    --g_stats.live;
    kfree(process);
}

// Releases what a process holds once it stops running: files, memory. Runs on the process's own
// thread (its kernel stack stays until the thread is reaped).
void release_resources(Process* process) {
    // Taken out of the record with interrupts off before it goes, like the space below: a
    // report walking the processes under its guard (format_memory) sees the table or nothing.
    fs::FileTable* files;
    {
        x86::InterruptGuard guard;
        files = process->files;
        process->files = nullptr;
    }
    delete files; // closes every descriptor
    if (process->space) {
        // Leave the address space before tearing it down.
        x86::InterruptGuard guard;
        nk::u64 kernel_root = memory::kernel_page_table().root();
        x86::mmu::load_address_space(kernel_root, 0, false);
        if (process->thread)
            process->thread->address_space_root = kernel_root;
        x86::mmu::set_thread_address_space(kernel_root);
        AddressSpace* space = process->space;
        process->space = nullptr;
        space->~AddressSpace();
        kfree(space);
    }
    // A big process leaves many empty slab pages (its region records): give them back.
    x86::InterruptGuard guard;
    memory::kernel_heap().trim();
}

} // namespace

void init() {}

Process* current() {
    return process_of(sched::current());
}

Process* find(int pid) {
    x86::InterruptGuard guard;
    for (auto& process : g_processes) {
        if (process.pid == pid)
            return &process;
    }
    return nullptr;
}

bool current_kill_pending() {
    Process* process = current();
    return process && process->kill_pending;
}

nk::Result<Process*> spawn(const SpawnOptions& options) {
    Process* parent = options.parent;
    const char* cwd = parent ? parent->cwd : "/";
    ExecutableFile file = TRY(read_executable(cwd, options.path));

    auto* process = static_cast<Process*>(kmalloc(sizeof(Process)));
    if (!process)
        return nk::Error::NoMemory;
    new (process) Process;
    strncpy(process->name, options.path, sizeof process->name - 1);
    strncpy(process->cwd, cwd, sizeof process->cwd - 1);

    auto fail = [&](nk::Error error) -> nk::Result<Process*> {
        release_resources(process);
        if (process->start_info)
            kfree(process->start_info);
        process->~Process();
        kfree(process);
        return error;
    };

    auto space = AddressSpace::create();
    if (space.is_error())
        return fail(space.error());
    process->space = space.value();

    const char* reason = nullptr;
    auto program = load_program(*process->space, file.data(), file.size(), options.argv,
                                options.argc, &reason);
    if (program.is_error()) {
        if (reason)
            kprintf("spawn: %s: not a valid executable: %s\n", options.path, reason);
        return fail(program.error());
    }
    auto* start = static_cast<LoadedProgram*>(kmalloc(sizeof(LoadedProgram)));
    if (!start)
        return fail(nk::Error::NoMemory);
    *start = program.value();
    process->start_info = start;

    process->files = new fs::FileTable;
    if (!process->files)
        return fail(nk::Error::NoMemory);
    if (parent) {
        auto inherited =
            process->files->inherit(*parent->files, nk::Span<const int>(options.fd_map, 3));
        if (inherited.is_error())
            return fail(inherited.error());
    } else {
        // The first process starts with the console as descriptors 0, 1 and 2.
        for (int fd = 0; fd < 3; ++fd) {
            auto console = fs::vfs().open("/", "/dev/console", nk::abi::O_RDWR);
            if (console.is_error())
                return fail(console.error());
            auto installed = process->files->install(console.value());
            if (installed.is_error())
                return fail(installed.error());
        }
    }

    auto thread = sched::create_thread(process->name, user_thread_entry, process);
    if (thread.is_error())
        return fail(thread.error());
    process->thread = thread.value();
    process->thread->process = process;
    process->thread->address_space_root = process->space->root();

    {
        x86::InterruptGuard guard;
        process->pid = g_next_pid++;
        process->parent = parent;
        process->start_ns = clock::nanoseconds_since_boot();
        if (parent)
            parent->children.push_back(*process);
        g_processes.push_back(*process);
        ++g_stats.spawned;
        ++g_stats.live;
    }
    sched::start(process->thread);
    return process;
}

void exit_current(int status) {
    Process* process = current();
    if (!process)
        panic("exit_current() outside a process");
    release_resources(process);

    x86::InterruptGuard guard;
    process->exit_status = status;
    process->state = ProcessState::Zombie;
    process->thread = nullptr;
    ++g_stats.exited;
    // Children lose their parent: zombies among them are freed now, the others when they exit.
    while (Process* child = process->children.pop_front()) {
        child->parent = nullptr;
        if (child->state == ProcessState::Zombie)
            free_process(child);
    }
    if (process->parent) {
        process->parent->child_exited.wake_all();
    } else {
        if (process->pid == 1) {
            // Nothing is left to run user programs. /bin/init never exits; a test program given
            // as init= does, and powering off hands its verdict to whoever started the machine.
            kprintf("init (%s) exited with status %d; powering off\n", process->name, status);
            x86::machine::power_off();
        }
        free_process(process);
    }
    sched::exit_current();
}

nk::Result<int> wait_child(int pid, int* status) {
    Process* self = current();
    if (!self)
        return nk::Error::NoChild;
    x86::InterruptGuard guard;
    for (;;) {
        bool has_candidate = false;
        for (auto& child : self->children) {
            if (pid != -1 && child.pid != pid)
                continue;
            has_candidate = true;
            if (child.state == ProcessState::Zombie) {
                int child_pid = child.pid;
                if (status)
                    *status = child.exit_status;
                self->children.remove(child);
                free_process(&child);
                return child_pid;
            }
        }
        if (!has_candidate)
            return nk::Error::NoChild;
        if (self->kill_pending)
            return nk::Error::Aborted;
        self->child_exited.wait();
    }
}

nk::ErrorOr kill(int pid) {
    x86::InterruptGuard guard;
    Process* process = find(pid);
    if (!process || process->state == ProcessState::Zombie)
        return nk::Error::NoEntry;
    if (pid == 1)
        return nk::Error::NotPermitted;
    process->kill_pending = true;
    if (process->thread)
        sched::wake(process->thread); // out of any blocking wait; it checks kill_pending
    return {};
}

void check_pending_kill() {
    if (current_kill_pending())
        exit_current(nk::abi::EXIT_STATUS_KILLED);
}

void on_user_fault(const x86::InterruptFrame& frame) {
    Process* process = current();
    if (!process)
        panic("user-mode fault without a process");
    if (frame.vector == x86::vector::PageFault) {
        nk::u64 address;
        asm volatile("mov %%cr2, %0" : "=r"(address));
        kprintf("process %d (%s) killed: page fault at 0x%llx (%s, %s) rip 0x%llx\n", process->pid,
                process->name, (unsigned long long)address,
                frame.error_code & 2    ? "write"
                : frame.error_code & 16 ? "execute"
                                        : "read",
                frame.error_code & 1 ? "protection violation" : "not mapped",
                (unsigned long long)frame.rip);
    } else {
        kprintf("process %d (%s) killed: %s (error code 0x%llx) rip 0x%llx\n", process->pid,
                process->name, x86::exception_name(frame.vector),
                (unsigned long long)frame.error_code, (unsigned long long)frame.rip);
    }
    {
        x86::InterruptGuard guard;
        ++g_stats.killed_by_fault;
    }
    x86::enable_interrupts();
    exit_current(nk::abi::EXIT_STATUS_FAULT_BASE + int(frame.vector));
}

Stats stats() {
    x86::InterruptGuard guard;
    return g_stats;
}

nk::usize format_memory(char* buffer, nk::usize size) {
    // Nothing in here may block: a wait would let the guard lapse, and a process exiting
    // meanwhile free what the walk is looking at (its files count is read without their lock).
    x86::InterruptGuard guard;
    nk::usize used = 0;
    for (auto& process : g_processes) {
        if (used >= size)
            break;
        nk::u64 pages = process.space ? process.space->mapped_pages() : 0;
        nk::u64 tables = process.space ? process.space->table_pages() : 0;
        int written = snprintf(
            buffer + used, size - used,
            "process %d %s: %llu pages mapped (%llu KiB), %llu page-table pages, "
            "%d open files\n",
            process.pid, process.name, (unsigned long long)pages, (unsigned long long)(pages * 4),
            (unsigned long long)tables, process.files ? process.files->open_count() : 0);
        if (written > 0)
            used = nk::min(used + nk::usize(written), size);
    }
    return used;
}

nk::usize format_list(char* buffer, nk::usize size) {
    x86::InterruptGuard guard;
    nk::usize used = 0;
    auto append = [&](int written) {
        if (written > 0)
            used += nk::usize(written);
        if (used > size)
            used = size;
    };
    append(snprintf(buffer, size,
                    "  PID  PPID STATE    THREAD   PAGES   SYSCALLS  UPTIME(ms) NAME\n"));
    nk::u64 now = clock::nanoseconds_since_boot();
    for (auto& process : g_processes) {
        const char* state = process.state == ProcessState::Zombie ? "zombie"
                            : process.thread ? thread_state_name(process.thread->state)
                                             : "exiting";
        append(snprintf(buffer + used, size - used, "%5d %5d %-8s %6llu %7llu %10llu %11llu %s\n",
                        process.pid, process.parent ? process.parent->pid : 0, state,
                        (unsigned long long)(process.thread ? process.thread->id : 0),
                        (unsigned long long)(process.space ? process.space->mapped_pages() : 0),
                        (unsigned long long)process.syscalls,
                        (unsigned long long)((now - process.start_ns) / 1000000), process.name));
    }
    return used;
}

} // namespace kernel::processes
