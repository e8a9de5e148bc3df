// A user process: an address space, a file table, a working directory and one thread that runs
// in ring 3. Processes form a tree; a parent collects its children's exit status with wait().
#pragma once

#include <kernel/sched/wait_queue.h>
#include <nk/intrusive_list.h>
#include <nk/syscall_abi.h>
#include <nk/types.h>

namespace kernel {

class AddressSpace;
class Thread;
namespace fs {
class FileTable;
}

enum class ProcessState : nk::u8 { Running, Zombie };

class Process {
public:
    int pid = 0;
    char name[64] = {};
    ProcessState state = ProcessState::Running;
    int exit_status = 0;

    AddressSpace* space = nullptr;
    fs::FileTable* files = nullptr;
    char cwd[nk::abi::MAX_PATH] = "/";
    Thread* thread = nullptr;
    void* start_info = nullptr; // entry point and stack, until the thread enters user mode

    // Set by kill(); the process exits on its next way back to user mode or out of a blocking
    // wait.
    volatile bool kill_pending = false;
    // The parent sleeps here in wait() until a child exits.
    WaitQueue child_exited;

    nk::u64 start_ns = 0;
    nk::u64 syscalls = 0;

    nk::IntrusiveListNode all_node;
    nk::IntrusiveListNode sibling_node;
    Process* parent = nullptr; // nullptr once the parent has exited: then nobody waits
    nk::IntrusiveList<Process, &Process::sibling_node> children;
};

} // namespace kernel
