// What the block and fs proxies share to outlive a driver's crash: a kernel object (a disk, a
// mounted volume) bound to one incarnation of its extension at a time. Recovery orphans it
// instead of ending it; requests wait (bounded) until the restarted extension is bound to it,
// and a request the crash cut short is replayed once. Bindings are told apart by a generation
// number: a freed binding's address may come back for the next one.
#pragma once

#include <arch/x86/interrupt_state.h>
#include <kernel/sched/wait_queue.h>
#include <kernel/time/clock.h>
#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/types.h>
#include <nooks/recovery.h>

#include <string.h>

namespace nooks {

// How long a request waits for a crashed extension to come back: its recovery's own bounds
// (init, backoff) and some slack. Recovery ending without it wakes the waiters at once.
constexpr nk::u64 REBIND_WAIT_MS = INIT_LIMIT_MS + 5000;

// What one attempt of a request came to: the extension's answer, or a crossing that never
// completed (the extension crashed under it, or was gone) — only the second is replayed.
struct AttemptOutcome {
    nk::ErrorOr result;
    bool lost;
};

// Binding: a struct with a ClassRegistration `registration`.
template <typename Binding>
struct Rebinding {
    Binding* binding = nullptr; // interrupts off to change
    nk::u64 generation = 1;     // bumped by every bind
    bool orphaned = false;      // its extension crashed; waiting for the restarted one
    bool dead = false;          // the extension did not come back, or the object is going
    nk::u64 orphaned_ns = 0;    // when it lost its extension
    nk::u64 interrupted_ns = 0; // the last crash's gap in service
    nk::u64 replays = 0;
    kernel::WaitQueue rebound;

    void bind(Binding& next) {
        x86::InterruptGuard guard;
        binding = &next;
        ++generation;
        if (orphaned)
            interrupted_ns = kernel::clock::nanoseconds_since_boot() - orphaned_ns;
        orphaned = false;
        rebound.wake_all();
    }

    // Recovery releases `old`: if it is the current binding, the object waits for the next one.
    // True when it was.
    bool orphan(Binding& old) {
        x86::InterruptGuard guard;
        if (binding != &old)
            return false;
        binding = nullptr;
        orphaned = true;
        orphaned_ns = kernel::clock::nanoseconds_since_boot();
        return true;
    }

    // `old`'s last call is over; if the object is still bound to it, it has lost its extension
    // for good. True when it was.
    bool release(Binding& old) {
        x86::InterruptGuard guard;
        if (binding != &old)
            return false;
        binding = nullptr;
        end_locked();
        return true;
    }

    void end() {
        x86::InterruptGuard guard;
        end_locked();
    }

    // Runs `attempt(binding)` on the current binding (entered around it), and once more on the
    // next one if the first crossing was lost. `gone()` says the object went away meanwhile.
    // Error::NoDevice when there was never a binding to use, Error::IO when the replay found
    // none or was lost too.
    template <typename Attempt, typename Gone>
    nk::ErrorOr with_replay(Attempt attempt, Gone gone) {
        nk::u64 stale = 0;
        for (int round = 0; round < 2; ++round) {
            nk::u64 entered_generation = 0;
            Binding* current = enter(stale, &entered_generation, gone);
            if (!current)
                return round ? nk::Error::IO : nk::Error::NoDevice;
            AttemptOutcome outcome = attempt(*current);
            bool isolated = current->registration.isolated();
            current->registration.leave();
            if (!outcome.lost || !isolated)
                return outcome.result;
            stale = entered_generation;
            ++replays;
        }
        return nk::Error::IO;
    }

private:
    void end_locked() {
        dead = true;
        orphaned = false;
        rebound.wake_all();
    }

    // The current binding, entered (leave() it), waiting while the object is orphaned or still
    // bound to generation `stale` (a crash not yet turned into an orphan); nullptr when it is
    // gone or nothing came back in time.
    template <typename Gone>
    Binding* enter(nk::u64 stale, nk::u64* entered_generation, Gone gone) {
        nk::u64 deadline = kernel::clock::nanoseconds_since_boot() + REBIND_WAIT_MS * 1000000;
        x86::InterruptGuard guard;
        for (;;) {
            if (dead || gone())
                return nullptr;
            if (!orphaned && binding && generation != stale && binding->registration.enter()) {
                *entered_generation = generation;
                return binding;
            }
            if (!orphaned && !binding)
                return nullptr; // never bound, or let go
            nk::u64 now = kernel::clock::nanoseconds_since_boot();
            if (now >= deadline)
                return nullptr;
            (void)rebound.wait_for(nk::min<nk::u64>((deadline - now) / 1000000 + 1, 50));
        }
    }
};

// Devices whose extension crashed, waiting for the restarted one to register them again (the
// block and net proxies). Device: has `owner` (the extension that registered it) and name().
template <typename Device, nk::IntrusiveListNode Device::*Node>
class OrphanList {
public:
    void add(Device& device) {
        x86::InterruptGuard guard;
        m_devices.push_back(device);
    }

    // The orphan of `extension` called `name`, taken off the list; nullptr if none.
    Device* adopt(const Extension* extension, const char* name, nk::usize name_size) {
        return take_if([&](Device& device) {
            return device.owner == extension && strncmp(device.name(), name, name_size) == 0;
        });
    }

    // Any orphan of `extension`, taken off the list; nullptr when none is left.
    Device* take(const Extension* extension) {
        return take_if([&](Device& device) { return device.owner == extension; });
    }

private:
    template <typename Match>
    Device* take_if(Match match) {
        x86::InterruptGuard guard;
        for (auto& device : m_devices) {
            if (match(device)) {
                m_devices.remove(device);
                return &device;
            }
        }
        return nullptr;
    }

    nk::IntrusiveList<Device, Node> m_devices;
};

} // namespace nooks
