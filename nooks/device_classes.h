// The kernel side of the extension classes' registration calls (nooks/net.h, block.h, fs.h):
// each registered device is a kernel object — a kernel::net::NetDevice, a
// kernel::block::BlockDevice, a file-system type — whose operations call the extension's ops
// table, through a crossing when it is isolated. One implementation for both modes:
// `extension` is the caller (the isolated wrapper's, or native_caller()); when it is known the
// object is tracked against it, so an unload or a crash unregisters it. Handles are the
// records' TrackedObject.
#pragma once

#include <nk/result.h>
#include <nk/types.h>
#include <nooks/block.h>
#include <nooks/fs.h>
#include <nooks/net.h>
#include <nooks/object_tracker.h>

namespace kernel::block {
class BlockDevice;
}

namespace nooks {

struct Extension;

nk_status register_net_device(Extension* extension, const nooks_net_device_info& info,
                              const nooks_net_ops& ops, void* device, nk_netdev_handle* out);
void unregister_net_device(nk_netdev_handle handle);
void net_receive(nk_netdev_handle handle, const void* frame, size_t length);
// nk_netif_rx_area: the device's receive area (checked writable in the domain by the wrapper).
nk_status net_set_rx_area(nk_netdev_handle handle, nooks_net_rx_area* area);
// After an interrupt handler's crossing into `extension` returned: what its devices' receive
// areas hold goes to the kernel (checked, copied), and the areas are emptied.
void net_take_rx_areas(Extension& extension);
// The driver's word on its link (nk_netif_link).
void net_link(nk_netdev_handle handle, bool up);
// A frame the driver handed over that could not be taken (counted as a receive error).
void net_receive_error(nk_netdev_handle handle);

nk_status register_block_device(Extension* extension, const nooks_block_device_info& info,
                                const nooks_block_ops& ops, void* device, nk_blkdev_handle* out);
void unregister_block_device(nk_blkdev_handle handle);
// nk_blkdev_window: the registration's transfer window, made on the first call.
nk_status block_device_window(nk_blkdev_handle handle, nk::u64 bytes, nooks_block_window* out);
// End of a recovery of `extension` (whatever its outcome): its block devices that were not
// registered again are unregistered, and requests waiting on them fail.
void finish_block_recovery(Extension& extension);
// "device hda: 1 requests replayed, last interruption 35000 us" lines for `ext stats`.
nk::usize format_block_recovery(const Extension& extension, char* buffer, nk::usize size);
// End of a recovery of `extension`: its network devices that the restarted driver registered
// again are set up as before and get the frames that waited; the others are unregistered.
void finish_net_recovery(Extension& extension);
// "device eth0: last service gap 35 ms ..." lines for `ext stats`.
nk::usize format_net_recovery(const Extension& extension, char* buffer, nk::usize size);

// A file system's use of a block device (nk_block_open...).
nk_status open_block_device(Extension* extension, const char* name, nooks_block_device_info* info,
                            nk_block_handle* out);
kernel::block::BlockDevice& opened_block_device(nk_block_handle handle);
void close_block_device(nk_block_handle handle);

nk_status register_file_system(Extension* extension, const char* name, const nooks_fs_ops& ops,
                               nk_fs_handle* out);
void unregister_file_system(nk_fs_handle handle);

// What every registered object keeps about the extension behind it. Calls into the extension go
// through call(): they count as in flight, so unregistering (which deactivates first) can wait
// until none is left before the extension's memory goes.
struct ClassRegistration {
    TrackedObject tracked;
    Extension* extension; // nullptr: registered natively from outside any extension
    nk::u64 incarnation;
    volatile nk::u32 in_flight;
    volatile bool active;
    volatile bool retired;
    void (*destroy)(ClassRegistration& registration); // frees the record

    void init(ObjectKind kind, void (*release)(TrackedObject&),
              void (*destroy_record)(ClassRegistration&), Extension* owner);
    // Calls an op: through a crossing into the incarnation that registered it (Error::NoDevice
    // once unregistered or reloaded), directly when native.
    nk::Result<long> call(const void* function, long a0 = 0, long a1 = 0, long a2 = 0);
    // Brackets a call and its bounce buffer in the extension's heap; enter() fails once retired.
    bool enter();
    void leave();
    // No call starts after this; the record is destroyed once no call is in flight. Waits for
    // them unless the running thread is inside the extension (one of its ops unregistering):
    // then the last call to leave destroys it.
    void retire();
    bool isolated() const;
};

// What an op's crossing came to: the crossing's own error (aborted, device gone), or the op's
// -errno, or success.
inline nk::ErrorOr status_of(nk::Result<long> result) {
    if (result.is_error())
        return result.error();
    if (result.value() < 0)
        return nk::Error(int(-result.value()));
    return {};
}

// An op pointer an extension hands over: inside its own code when isolated (natively loaded
// extensions are trusted, as in Nooks' baseline).
bool op_ok(const Extension* extension, const void* function);

// A file-system type an extension registered, for mounting.
struct RegisteredFileSystem {
    ClassRegistration registration;
    nooks_fs_ops ops;
    char name[16];
    nk::IntrusiveListNode node;
};
// Looks a registered file-system type up by name, or nullptr.
RegisteredFileSystem* find_file_system(const char* name);
nk::usize file_system_count();

} // namespace nooks
