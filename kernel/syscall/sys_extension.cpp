// ExtControl: listing, loading and unloading extensions (the shell's `ext`).
#include <kernel/memory/kmalloc.h>
#include <kernel/process/processes.h>
#include <kernel/sched/scheduler.h>
#include <kernel/syscall/syscall_table.h>
#include <kernel/syscall/user_memory.h>
#include <nooks/crash_test.h>
#include <nooks/extension_manager.h>
#include <nooks/fault_injection.h>
#include <nooks/recovery.h>
#include <nooks/wrapper.h>
#include <nooks/xpc_benchmark.h>

#include <stdio.h>

#include <string.h>

namespace kernel::syscalls {

namespace {

constexpr nk::usize LIST_SIZE = 8 * 1024;

Result<nk::i64> copy_text_out(const char* text, nk::usize length, const Frame& frame) {
    nk::usize size = nk::min<nk::usize>(length, frame.argument(4));
    TRY(user::copy_to(frame.argument(3), text, size));
    return nk::i64(size);
}

// Runs `format(buffer, size) -> Result<usize>` into a heap buffer and copies the text out.
template <typename Format>
Result<nk::i64> report_text(const Frame& frame, Format format) {
    char* text = static_cast<char*>(kmalloc(LIST_SIZE));
    if (!text)
        return Error::NoMemory;
    auto length = format(text, LIST_SIZE);
    auto copied = length.is_error() ? Result<nk::i64>(length.error())
                                    : copy_text_out(text, length.value(), frame);
    kfree(text);
    return copied;
}

Result<nk::i64> list(const Frame& frame) {
    return report_text(frame, [](char* text, nk::usize size) -> Result<nk::usize> {
        return nooks::format_extension_list(text, size);
    });
}

Result<nk::i64> load(const Frame& frame) {
    abi::ExtLoadRequest request;
    if (frame.argument(2) != sizeof request)
        return Error::Invalid;
    TRY(user::read(request, frame.argument(1)));
    if (request.mode != abi::ExtMode::Native && request.mode != abi::ExtMode::Isolated)
        return Error::Invalid;
    char path[abi::MAX_PATH];
    TRY(user::copy_string(path, sizeof path, nk::u64(request.path)));
    char parameters[nooks::MAX_PARAMETERS] = {};
    if (request.parameters)
        TRY(user::copy_string(parameters, sizeof parameters, nk::u64(request.parameters)));
    nooks::LoadProblem problem = {};
    auto mode = request.mode == abi::ExtMode::Native ? nooks::ExtensionMode::Native
                                                     : nooks::ExtensionMode::Isolated;
    auto loaded =
        nooks::load_extension_file(processes::current()->cwd, path, mode, &problem, parameters);
    if (loaded.is_error()) {
        // The problem text goes to the caller's buffer; the error code is the result.
        (void)copy_text_out(problem.message, strlen(problem.message), frame);
        return loaded.error();
    }
    return 0;
}

Result<nk::i64> unload(const Frame& frame) {
    char name[32];
    TRY(user::copy_string(name, sizeof name, frame.argument(1)));
    TRY(nooks::unload_extension(name));
    return 0;
}

// The extension the caller names, held by a reference while the call uses it (an unload
// meanwhile waits for it instead of freeing the record under the call).
Result<nooks::ExtensionReference> named_extension(const Frame& frame) {
    char name[32];
    TRY(user::copy_string(name, sizeof name, frame.argument(1)));
    nooks::ExtensionReference extension = nooks::find_extension(name);
    if (!extension)
        return Error::NoEntry;
    return extension;
}

Result<nk::i64> crash(const Frame& frame) {
    abi::ExtCrashRequest request;
    if (frame.argument(2) != sizeof request)
        return Error::Invalid;
    TRY(user::read(request, frame.argument(1)));
    request.name[sizeof request.name - 1] = 0;
    request.kind[sizeof request.kind - 1] = 0;
    // Held across the crash and the wait for its recovery: an unload meanwhile waits for it.
    nooks::ExtensionReference extension = nooks::find_extension(request.name);
    if (!extension)
        return Error::NoEntry;
    int kind = nooks::crash_kind_from_name(request.kind);
    if (kind < 0)
        return Error::Invalid;
    char text[256];
    int length;
    if (request.after) {
        if (extension->state != nooks::ExtensionState::Running)
            return Error::Busy;
        nk::u32 times = nk::max<nk::u32>(1, request.times);
        nooks::arm_fault(*extension, kind, request.after, times);
        char again[64] = "";
        if (times > 1)
            snprintf(again, sizeof again, ", then again every %u crossings (%u times in all)",
                     request.after, times);
        length =
            snprintf(text, sizeof text, "%s: %s: armed; strikes after %u crossings of '%s'%s\n",
                     request.name, request.kind, request.after, request.name, again);
        return copy_text_out(text, nk::usize(length), frame);
    }
    auto result = nooks::crash_extension(*extension, kind);
    if (result.has_value())
        length = snprintf(text, sizeof text, "%s: %s returned %ld\n", request.name, request.kind,
                          result.value());
    else if (result.error() == Error::Aborted) {
        // Recovery runs in the background; wait for its outcome (bounded) so the user sees
        // the extension come back.
        for (unsigned waited = 0; extension->recovery_pending && waited < 5000; ++waited)
            kernel::sched::sleep_ms(1);
        const char* outcome = extension->state == nooks::ExtensionState::Running
                                  ? "recovered"
                                  : nooks::state_name(extension->state);
        length = snprintf(text, sizeof text,
                          "%s: %s: the crossing was aborted, the kernel kept running%s; '%s' %s "
                          "(restart %llu, %llu us)\n",
                          request.name, request.kind,
                          nooks::crash_victim_intact() ? " (the kernel object is unchanged)"
                                                       : " BUT THE KERNEL OBJECT WAS CHANGED",
                          request.name, outcome, (unsigned long long)extension->restarts,
                          (unsigned long long)extension->last_fault.recovery_us);
    } else if (result.error() == Error::Again) {
        length = snprintf(text, sizeof text,
                          "%s: %s: armed; the next call into '%s' (or return into it) will "
                          "fault\n",
                          request.name, request.kind, request.name);
    } else
        return result.error();
    return copy_text_out(text, nk::usize(length), frame);
}

Result<nk::i64> restart(const Frame& frame) {
    auto extension = named_extension(frame);
    if (extension.is_error())
        return extension.error();
    TRY(nooks::restart_extension(*extension.value()));
    return 0;
}

// A report on the named extension, which stays referenced while it is written.
Result<nk::i64> report_on(const Frame& frame,
                          nk::usize (*format)(nooks::Extension&, char*, nk::usize)) {
    auto extension = named_extension(frame);
    if (extension.is_error())
        return extension.error();
    nooks::Extension* held = extension.value().get();
    return report_text(frame, [held, format](char* text, nk::usize size) -> Result<nk::usize> {
        return format(*held, text, size);
    });
}

Result<nk::i64> stats(const Frame& frame) {
    return report_on(frame, nooks::format_extension_stats);
}

Result<nk::i64> trace(const Frame& frame) {
    return report_on(frame, nooks::format_extension_trace);
}

Result<nk::i64> bench(const Frame& frame) {
    return report_text(frame, nooks::run_xpc_benchmark);
}

// A failed wrapper check fails the extension (the default), or is only reported and answered
// with an error value.
Result<nk::i64> checks(const Frame& frame) {
    char policy[16];
    TRY(user::copy_string(policy, sizeof policy, frame.argument(1)));
    if (strcmp(policy, "fail") == 0)
        nooks::set_fail_extension_on_check(true);
    else if (strcmp(policy, "report") == 0)
        nooks::set_fail_extension_on_check(false);
    else
        return Error::Invalid;
    return 0;
}

Result<nk::i64> sys_ext_control(const Frame& frame) {
    switch (abi::ExtOperation(frame.argument(0))) {
    case abi::ExtOperation::List:
        return list(frame);
    case abi::ExtOperation::Load:
        return load(frame);
    case abi::ExtOperation::Unload:
        return unload(frame);
    case abi::ExtOperation::Crash:
        return crash(frame);
    case abi::ExtOperation::Restart:
        return restart(frame);
    case abi::ExtOperation::Stats:
        return stats(frame);
    case abi::ExtOperation::Bench:
        return bench(frame);
    case abi::ExtOperation::Checks:
        return checks(frame);
    case abi::ExtOperation::Trace:
        return trace(frame);
    }
    return Error::Invalid;
}

} // namespace

void register_extension_calls(Handler* table) {
    table[nk::u64(abi::Syscall::ExtControl)] = sys_ext_control;
}

} // namespace kernel::syscalls
