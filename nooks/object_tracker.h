// What an isolated extension holds: every kernel object it obtained through a wrapper, recorded
// against the extension so that recovery and unload release all of it (memory goes with the
// extension's heap pages; this tracks the rest: IRQ handlers, timers, and whatever later classes
// add). Intrusive and allocation-free to walk, so recovery never needs memory to clean up.
#pragma once

#include <arch/x86/interrupt_state.h>
#include <nk/intrusive_list.h>
#include <nk/types.h>

namespace nooks {

enum class ObjectKind : nk::u8 {
    Irq,
    Timer,
    Dma,
    Mmio,
    PciDevice,
    Thread,
    Mutex,
    Event,
    NetDevice,
    BlockDevice,
    BlockClient, // a block device a file system opened
    FileSystem,  // a registered file-system type
    Volume,      // a mounted volume of that type
    Socket,      // a TCP socket on the kernel's stack (nooks/socket.h)
    Count
};
const char* object_kind_name(ObjectKind kind);

struct TrackedObject {
    nk::IntrusiveListNode node;
    ObjectKind kind;
    // Releases the object (unregisters, cancels, frees the record).
    void (*release)(TrackedObject& object);
};

class ObjectTracker {
public:
    void add(TrackedObject& object);
    // Whether the extension owns this object (handles passed back in are checked against it).
    bool owns(const TrackedObject* object, ObjectKind kind) const;
    void remove(TrackedObject& object);
    // Removes the object and releases it: what giving a handle back means.
    void release(TrackedObject& object);
    // Calls visit(object) for every object of `kind` (interrupts off during the walk).
    template <typename Visit>
    void for_each(ObjectKind kind, Visit visit) {
        nk::u64 flags = x86::save_and_disable_interrupts();
        for (auto& object : m_objects) {
            if (object.kind == kind)
                visit(object);
        }
        x86::restore_interrupts(flags);
    }
    // Releases everything, newest first.
    void release_all();
    nk::u64 count(ObjectKind kind) const { return m_counts[unsigned(kind)]; }
    nk::u64 total() const { return m_objects.size(); }

private:
    nk::IntrusiveList<TrackedObject, &TrackedObject::node> m_objects;
    nk::u64 m_counts[unsigned(ObjectKind::Count)] = {};
};

} // namespace nooks
