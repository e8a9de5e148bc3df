// Wrappers generated at compile time from typed declarations. An isolated extension's import of
// `nk_free` is bound to Wrapper<"nk_free", isolated_free, HeapPointer>::entry: a function with
// nk_free's own signature that
//   1. leaves the extension's domain for the kernel's page table (KernelEntry),
//   2. checks every argument with the policy declared for it, in order,
//   3. on a failed check: reports it, counts it, and fails the extension (the crossing is
//      aborted and the recovery manager restarts it) — or, with the policy switched off,
//      returns an error value to the extension,
//   4. calls the implementation with the calling extension as first argument,
//   5. goes back into the domain (unless the extension was torn down meanwhile).
// Nooks (2003) wrote ~5,000 lines of such wrappers by hand; here each is one line in a table.
#pragma once

#include <arch/x86/interrupt_state.h>
#include <nk/types.h>
#include <nooks/extension_manager.h>
#include <nooks/xpc.h>

namespace nooks {

// A string usable as a template argument (C++20 class-type non-type parameter).
template <nk::usize N>
struct FixedString {
    char text[N];
    constexpr FixedString(const char (&string)[N]) {
        for (nk::usize i = 0; i < N; ++i)
            text[i] = string[i];
    }
};

// Reports a failed check and, unless checks are set to only report, fails the extension.
// Returns when the caller should hand an error value back instead.
void wrapper_check_failed(Extension& extension, const char* function, unsigned argument,
                          nk::u64 value);
bool fail_extension_on_check();
void set_fail_extension_on_check(bool fail);

// Readable/writable for the extension: [address, address+length) is mapped in its domain
// (writable when `write`). Kernel memory is readable there but never writable.
bool domain_range_ok(Extension& extension, nk::u64 address, nk::u64 length, bool write);

// ---- Argument policies. Each has check(Extension&, value) -> bool.

struct Unchecked {
    template <typename T>
    static bool check(Extension&, T) {
        return true;
    }
};

template <nk::u64 Max>
struct AtMost {
    template <typename T>
    static bool check(Extension&, T value) {
        return nk::u64(value) <= Max;
    }
};

// A pointer to `Size` bytes the extension may write (an out-parameter).
template <nk::usize Size>
struct WritableOut {
    template <typename T>
    static bool check(Extension& extension, T pointer) {
        return domain_range_ok(extension, reinterpret_cast<nk::u64>(pointer), Size, true);
    }
};

// A pointer to `Size` bytes the extension may read (a structure it passes in).
template <nk::usize Size>
struct ReadableIn {
    template <typename T>
    static bool check(Extension& extension, T pointer) {
        return domain_range_ok(extension, reinterpret_cast<nk::u64>(pointer), Size, false);
    }
};

// For a buffer whose length is another argument (checked inside the implementation, where both
// are known): reports a failed check like a policy does. False when the caller should return
// an error value (checks set to report only).
bool check_buffer(Extension& extension, const char* function, unsigned argument, const void* buffer,
                  nk::u64 length, bool write);

// A NUL-terminated string of at most Max bytes readable in the domain.
template <nk::usize Max>
struct DomainString {
    static bool check(Extension& extension, const char* text);
};

// A function pointer into the extension's own code (a callback the kernel will call back).
struct ModuleCode {
    template <typename T>
    static bool check(Extension& extension, T function) {
        auto address = reinterpret_cast<nk::u64>(function);
        return address >= extension.module.text.address &&
               address < extension.module.text.address + extension.module.text.size;
    }
};

// Null, or a block the extension's own heap handed out.
struct HeapPointerOrNull {
    static bool check(Extension& extension, void* pointer) {
        // In the extension's heap pages first, not just its writable memory (which includes
        // device registers from nk_ioremap): the heap's own check reads the block's page
        // header, which must be neither a wild read nor a read of a device register.
        // Interrupts off, as for every use of the heap from the kernel side
        // (extension_heap_allocate): another of its threads or an interrupt crossing may be
        // changing the page list and the block headers this walks.
        x86::InterruptGuard guard;
        return !pointer ||
               (extension.heap_pages->owns(pointer, 1) &&
                domain_range_ok(extension, reinterpret_cast<nk::u64>(pointer), 1, true) &&
                extension.heap->usable_size(pointer) != 0);
    }
};

// A handle the extension obtained earlier and still owns.
template <ObjectKind Kind>
struct OwnedHandle {
    template <typename T>
    static bool check(Extension& extension, T handle) {
        return extension.tracker.owns(reinterpret_cast<const TrackedObject*>(handle), Kind);
    }
};

template <nk::usize Max>
bool DomainString<Max>::check(Extension& extension, const char* text) {
    auto address = reinterpret_cast<nk::u64>(text);
    for (nk::usize i = 0; i < Max; ++i) {
        if ((i == 0 || (address + i) % 4096 == 0) &&
            !domain_range_ok(extension, address + i, 1, false))
            return false;
        if (text[i] == 0)
            return true;
    }
    return false;
}

// ---- The generator.

template <typename Result>
constexpr Result check_failure_value() {
    if constexpr (__is_same(Result, void))
        return;
    else if constexpr (__is_same(Result, long))
        return -long(nk::Error::Invalid);
    else
        return Result{};
}

template <FixedString Name, auto Implementation, typename... Checks>
struct Wrapper;

template <FixedString Name, typename Result, typename... Args,
          Result (*Implementation)(Extension&, Args...), typename... Checks>
struct Wrapper<Name, Implementation, Checks...> {
    static_assert(sizeof...(Args) == sizeof...(Checks), "one check policy per argument");

    static Result entry(Args... arguments) {
        KernelEntry entry;
        Extension& extension = *current_extension();
        ++extension.wrapper_calls;
        count_function_call(extension.import_calls, reinterpret_cast<nk::u64>(Name.text),
                            Name.text);
        const nk::u64 traced_arguments[] = {trace_value(arguments)..., 0, 0, 0};
        nk::u64 traced = trace_begin(extension.trace, TraceDirection::Out, 0, Name.text,
                                     traced_arguments[0], traced_arguments[1], traced_arguments[2]);
        unsigned index = 0;
        bool ok = true;
        // Check the arguments left to right; stop at the first failure.
        ((ok = ok && check_one<Checks>(extension, arguments, index++)), ...);
        if (!ok) {
            trace_end(extension.trace, traced, TraceOutcome::Refused, 0);
            return check_failure_value<Result>();
        }
        if constexpr (__is_same(Result, void)) {
            Implementation(extension, arguments...);
            trace_end(extension.trace, traced, TraceOutcome::Returned, 0);
        } else {
            Result result = Implementation(extension, arguments...);
            trace_end(extension.trace, traced, TraceOutcome::Returned, trace_value(result));
            return result;
        }
    }

private:
    template <typename Check, typename T>
    static bool check_one(Extension& extension, T value, unsigned index) {
        if (Check::check(extension, value))
            return true;
        wrapper_check_failed(extension, Name.text, index, nk::u64(value));
        return false;
    }
};

} // namespace nooks
