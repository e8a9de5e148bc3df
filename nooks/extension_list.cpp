// nk_extension_list (nooks/extension_list.h): the registry as plain records, for a status page
// an extension draws (the web server's /_ext). Filled in kernel memory, then copied out whole.
#include <kernel/memory/kmalloc.h>
#include <kernel/sched/scheduler.h>
#include <nooks/extension_list.h>
#include <nooks/extension_list_class.h>
#include <nooks/extension_manager.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

struct Listing {
    nk_extension_info* out;
    nk::u32 max;
    nk::u32 count;
};

void describe(Extension& extension, nk_extension_info& info) {
    info = {};
    strncpy(info.name, extension.name, sizeof info.name - 1);
    strncpy(info.class_name, class_name(extension.extension_class), sizeof info.class_name - 1);
    strncpy(info.mode, mode_name(extension.mode), sizeof info.mode - 1);
    strncpy(info.state, state_name(extension.state), sizeof info.state - 1);
    info.restarts = extension.restarts;
    info.faults = extension.faults;
    info.crossings = extension.crossings;
    info.kernel_calls = extension.wrapper_calls;
    for (unsigned kind = 0; kind < unsigned(ObjectKind::Count); ++kind) {
        nk::u64 count = extension.tracker.count(ObjectKind(kind));
        if (!count || info.held_count == NK_EXTENSION_HELD_KINDS)
            continue;
        nk_held_objects& held = info.held[info.held_count++];
        strncpy(held.kind, object_kind_name(ObjectKind(kind)), sizeof held.kind - 1);
        held.count = nk::u32(count);
    }
    if (extension.has_fault) {
        info.last_recovery_us = extension.last_fault.recovery_us;
        if (extension.last_fault.where[0])
            snprintf(info.last_fault, sizeof info.last_fault, "%s at %s",
                     extension.last_fault.cause, extension.last_fault.where);
        else
            snprintf(info.last_fault, sizeof info.last_fault, "%s", extension.last_fault.cause);
    }
}

} // namespace

long list_extensions(nk_extension_info* out, nk::u32 max) {
    // The registry lock may sleep: from interrupt context (a timer callback) that is a bug even
    // when it happens to be free.
    kernel::sched::check_may_block();
    Listing listing = {nullptr, nk::min<nk::u32>(max, NK_EXTENSION_LIST_MAX), 0};
    if (listing.max == 0)
        return 0;
    // Described into kernel memory under the registry lock, copied out after it: a fault while
    // writing the caller's buffer (an extension's memory) aborts its crossing, which must not
    // happen with the lock held.
    listing.out = static_cast<nk_extension_info*>(kmalloc(listing.max * sizeof *listing.out));
    if (!listing.out)
        return -NK_ENOMEM;
    for_each_extension(
        [](Extension& extension, void* context) {
            auto& listing = *static_cast<Listing*>(context);
            if (listing.count < listing.max)
                describe(extension, listing.out[listing.count++]);
        },
        &listing);
    memcpy(out, listing.out, listing.count * sizeof *out);
    kfree(listing.out);
    return long(listing.count);
}

} // namespace nooks
