#include <arch/x86/interrupt_state.h>
#include <nooks/object_tracker.h>

namespace nooks {

const char* object_kind_name(ObjectKind kind) {
    switch (kind) {
    case ObjectKind::Irq:
        return "irq";
    case ObjectKind::Timer:
        return "timer";
    case ObjectKind::Dma:
        return "dma";
    case ObjectKind::Mmio:
        return "mmio";
    case ObjectKind::PciDevice:
        return "pci";
    case ObjectKind::Thread:
        return "thread";
    case ObjectKind::Mutex:
        return "mutex";
    case ObjectKind::Event:
        return "event";
    case ObjectKind::NetDevice:
        return "netdev";
    case ObjectKind::BlockDevice:
        return "blkdev";
    case ObjectKind::BlockClient:
        return "block-open";
    case ObjectKind::FileSystem:
        return "fs";
    case ObjectKind::Volume:
        return "volume";
    case ObjectKind::Socket:
        return "socket";
    case ObjectKind::Count:
        break;
    }
    return "?";
}

void ObjectTracker::add(TrackedObject& object) {
    x86::InterruptGuard guard;
    m_objects.push_back(object);
    ++m_counts[unsigned(object.kind)];
}

bool ObjectTracker::owns(const TrackedObject* object, ObjectKind kind) const {
    x86::InterruptGuard guard;
    for (auto& tracked : m_objects) {
        if (&tracked == object)
            return tracked.kind == kind;
    }
    return false;
}

void ObjectTracker::remove(TrackedObject& object) {
    x86::InterruptGuard guard;
    m_objects.remove(object);
    --m_counts[unsigned(object.kind)];
}

void ObjectTracker::release(TrackedObject& object) {
    remove(object);
    object.release(object);
}

void ObjectTracker::release_all() {
    for (;;) {
        TrackedObject* object;
        {
            x86::InterruptGuard guard;
            object = m_objects.last();
            if (!object)
                return;
            m_objects.remove(*object);
            --m_counts[unsigned(object->kind)];
        }
        object->release(*object);
    }
}

} // namespace nooks
