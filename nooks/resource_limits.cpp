#include <kernel/memory/memory_manager.h>
#include <nooks/extension_manager.h>
#include <nooks/resource_limits.h>

#include <stdio.h>

namespace nooks {

namespace {

nk::u64 total_frames() {
    return kernel::memory::frames().stats().total_frames;
}

} // namespace

const char* resource_name(Resource resource) {
    switch (resource) {
    case Resource::HeapPages:
        return "heap pages";
    case Resource::DmaPages:
        return "DMA pages";
    case Resource::Timers:
        return "timers";
    case Resource::Threads:
        return "threads";
    case Resource::Irqs:
        return "IRQ handlers";
    case Resource::Devices:
        return "devices";
    case Resource::Count:
        break;
    }
    return "?";
}

ResourceLimits default_resource_limits() {
    ResourceLimits limits = {};
    limits.limit[unsigned(Resource::HeapPages)] = total_frames() / 8;
    limits.limit[unsigned(Resource::DmaPages)] = total_frames() / 16;
    limits.limit[unsigned(Resource::Timers)] = 16;
    limits.limit[unsigned(Resource::Threads)] = 8;
    limits.limit[unsigned(Resource::Irqs)] = 4;
    limits.limit[unsigned(Resource::Devices)] = 8;
    return limits;
}

nk::u64 reserved_frames() {
    return nk::max<nk::u64>(1024, total_frames() / 16);
}

nk::u64 resource_in_use(const Extension& extension, Resource resource) {
    const ObjectTracker& tracker = extension.tracker;
    switch (resource) {
    case Resource::HeapPages:
        return extension.heap_pages ? extension.heap_pages->pages_held() : 0;
    case Resource::DmaPages:
        return extension.dma_pages;
    case Resource::Timers:
        return tracker.count(ObjectKind::Timer);
    case Resource::Threads:
        return tracker.count(ObjectKind::Thread);
    case Resource::Irqs:
        return tracker.count(ObjectKind::Irq);
    case Resource::Devices:
        return tracker.count(ObjectKind::NetDevice) + tracker.count(ObjectKind::BlockDevice) +
               tracker.count(ObjectKind::FileSystem);
    case Resource::Count:
        break;
    }
    return 0;
}

nk::ErrorOr charge_resource(Extension& extension, Resource resource, nk::u64 amount) {
    if (extension.mode != ExtensionMode::Isolated)
        return {};
    unsigned index = unsigned(resource);
    nk::u64 limit = extension.limits.limit[index];
    nk::u64 used = resource_in_use(extension, resource);
    nk::Error refusal = nk::Error::Quota;
    bool allowed = used + amount <= limit;
    if (allowed && (resource == Resource::HeapPages || resource == Resource::DmaPages)) {
        nk::u64 free = kernel::memory::frames().stats().free_frames;
        allowed = free >= amount && free - amount >= reserved_frames();
        refusal = nk::Error::NoMemory;
    }
    if (allowed)
        return {};
    note_refusal(extension, resource, refusal);
    return refusal;
}

void note_refusal(Extension& extension, Resource resource, nk::Error refusal) {
    unsigned index = unsigned(resource);
    nk::u64 limit = extension.limits.limit[index];
    if (extension.refused[index]++ == 0) {
        if (refusal == nk::Error::Quota)
            kprintf("nooks: extension '%s' reached its limit of %llu %s: refused\n", extension.name,
                    (unsigned long long)limit, resource_name(resource));
        else
            kprintf("nooks: extension '%s': %s refused, the kernel keeps its last %llu KiB\n",
                    extension.name, resource_name(resource),
                    (unsigned long long)(reserved_frames() * 4));
    }
}

} // namespace nooks
