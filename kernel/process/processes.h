// Process life cycle: spawn from an executable file, exit, wait, kill, and the fault path that
// kills a process instead of the kernel.
#pragma once

#include <arch/x86/interrupt_frame.h>
#include <kernel/process/process.h>
#include <nk/result.h>
#include <nk/span.h>

namespace kernel::processes {

struct SpawnOptions {
    const char* path;             // resolved against the parent's cwd
    const char* const* argv;      // kernel copies of the arguments
    nk::usize argc;
    Process* parent;              // nullptr for the first process
    const int* fd_map;            // child fd i = parent's fd_map[i] (-1: closed), 3 entries
};

void init();
// Loads the executable and starts the process. Errors: those of opening/reading the file,
// Error::BadExec for a malformed executable, Error::NoMemory.
nk::Result<Process*> spawn(const SpawnOptions& options);
// Ends the current process with `status`. Never returns.
[[noreturn]] void exit_current(int status);
// Waits for a child (pid -1: any) to exit; returns its pid and stores its status. Error::NoChild
// when there is no such child; Error::Aborted when the waiting process itself is killed.
nk::Result<int> wait_child(int pid, int* status);
nk::ErrorOr kill(int pid);

Process* current();
Process* find(int pid);
bool current_kill_pending();

// A fault in ring 3 (from the exception handlers): reports it and ends the process with
// EXIT_STATUS_FAULT_BASE + vector.
[[noreturn]] void on_user_fault(const x86::InterruptFrame& frame);
// On the way back to user mode: exits if a kill is pending.
void check_pending_kill();

struct Stats {
    nk::u64 spawned;
    nk::u64 exited;
    nk::u64 live;
    nk::u64 killed_by_fault;
};
Stats stats();
// `ps` text.
nk::usize format_list(char* buffer, nk::usize size);
// Per-process memory lines for `mem`.
nk::usize format_memory(char* buffer, nk::usize size);

} // namespace kernel::processes
