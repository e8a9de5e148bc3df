// Process system calls: exit, spawn, wait, getpid, kill, sleep, time, and user memory.
#include <arch/x86/cpu.h>
#include <kernel/memory/address_space.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/process/processes.h>
#include <kernel/sched/scheduler.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/syscall/user_memory.h>
#include <kernel/time/clock.h>

namespace kernel::syscalls {

namespace {

Result<nk::i64> sys_exit(const Frame& frame) { processes::exit_current(int(frame.argument(0))); }

// Kernel copies of a spawn request's strings, freed on every path out.
struct ArgumentCopies {
    char path[abi::MAX_PATH];
    char* strings[abi::MAX_ARGUMENTS] = {};
    nk::usize count = 0;
    ~ArgumentCopies() {
        for (nk::usize i = 0; i < count; ++i)
            kfree(strings[i]);
    }
};

Result<nk::i64> sys_spawn(const Frame& frame) {
    abi::SpawnRequest request;
    TRY(user::read(request, frame.argument(0)));
    if (request.argc > abi::MAX_ARGUMENTS)
        return Error::TooBig;
    ArgumentCopies copies;
    TRY(user::copy_string(copies.path, sizeof copies.path, nk::u64(request.path)));
    for (nk::u64 i = 0; i < request.argc; ++i) {
        nk::u64 pointer;
        TRY(user::read(pointer, nk::u64(request.argv) + i * 8));
        char* copy = static_cast<char*>(kmalloc(abi::MAX_ARGUMENT));
        if (!copy)
            return Error::NoMemory;
        copies.strings[copies.count++] = copy;
        TRY(user::copy_string(copy, abi::MAX_ARGUMENT, pointer));
    }
    processes::SpawnOptions options = {copies.path, copies.strings, copies.count,
                                       processes::current(), request.fds};
    Process* child = TRY(processes::spawn(options));
    return child->pid;
}

Result<nk::i64> sys_wait(const Frame& frame) {
    int status = 0;
    int pid = TRY(processes::wait_child(int(frame.argument(0)), &status));
    if (frame.argument(1))
        TRY(user::write(frame.argument(1), status));
    return pid;
}

Result<nk::i64> sys_getpid(const Frame&) { return processes::current()->pid; }

Result<nk::i64> sys_kill(const Frame& frame) {
    TRY(processes::kill(int(frame.argument(0))));
    return 0;
}

Result<nk::i64> sys_sleep(const Frame& frame) {
    nk::u64 milliseconds = frame.argument(0);
    if (milliseconds > 24ull * 3600 * 1000)
        return Error::Invalid;
    sched::sleep_ms(milliseconds);
    return 0;
}

Result<nk::i64> sys_time(const Frame& frame) {
    abi::TimeInfo info = {clock::nanoseconds_since_boot(), x86::rdtsc(), clock::tsc_hz()};
    TRY(user::write(frame.argument(0), info));
    return 0;
}

Result<nk::i64> sys_map_pages(const Frame& frame) {
    nk::u64 order = frame.argument(0);
    if (order > 10)
        return Error::Invalid;
    nk::u64 address = TRY(processes::current()->space->allocate_heap_pages(unsigned(order)));
    return nk::i64(address);
}

Result<nk::i64> sys_unmap_pages(const Frame& frame) {
    nk::u64 order = frame.argument(1);
    if (order > 10)
        return Error::Invalid;
    TRY(processes::current()->space->unmap_region(frame.argument(0), 1ull << order));
    return 0;
}

} // namespace

void register_process_calls(Handler* table) {
    table[nk::u64(abi::Syscall::Exit)] = sys_exit;
    table[nk::u64(abi::Syscall::Spawn)] = sys_spawn;
    table[nk::u64(abi::Syscall::Wait)] = sys_wait;
    table[nk::u64(abi::Syscall::GetPid)] = sys_getpid;
    table[nk::u64(abi::Syscall::Kill)] = sys_kill;
    table[nk::u64(abi::Syscall::Sleep)] = sys_sleep;
    table[nk::u64(abi::Syscall::Time)] = sys_time;
    table[nk::u64(abi::Syscall::MapPages)] = sys_map_pages;
    table[nk::u64(abi::Syscall::UnmapPages)] = sys_unmap_pages;
}

} // namespace kernel::syscalls
