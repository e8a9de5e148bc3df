/* The network-driver class: a driver registers one device per NIC with its operations; the
 * kernel calls them (through a crossing when the driver is isolated) and the driver hands
 * received frames to the kernel with nk_netif_rx. */
#pragma once

#include <nooks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A frame in a batch (nk_netif_rx_batch, nooks_net_ops.transmit_batch). */
#define NOOKS_NET_BATCH_MAX 64
struct nooks_net_frame {
    const void* data;
    uint32_t length;
    uint32_t reserved;
};

/* The kernel calls open, stop and transmit of a device one at a time (never two at once), so a
 * driver whose interrupt handler leaves the transmit ring alone needs no lock around it. */
struct nooks_net_ops {
    /* Link up: enable the receiver and interrupts. 0 or -errno. */
    nk_status (*open)(void* device);
    /* Link down. */
    void (*stop)(void* device);
    /* Queue one Ethernet frame (14..1518 bytes, no FCS) for transmission. The frame is the
     * driver's to read only during the call. 0, -NK_EBUSY when the ring is full, or -errno. */
    nk_status (*transmit)(void* device, const void* frame, size_t length);
    /* Optional: the driver's own figures as text for `ext stats` (lines ending in newlines,
     * NUL-terminated within `size`). 0 or -errno. */
    nk_status (*status)(void* device, char* buffer, size_t size);
    /* Optional: up to NOOKS_NET_BATCH_MAX frames in one call — one crossing for a batch. Queues
     * them in order and returns how many it took (the first n; fewer when the ring is full), or
     * -errno. The frames are the driver's to read only during the call. */
    nk_status (*transmit_batch)(void* device, const struct nooks_net_frame* frames, uint32_t count);
};

struct nooks_net_device_info {
    char name[16]; /* "eth0" */
    uint8_t mac[6];
    uint16_t reserved;
    uint32_t mtu; /* 1500 */
};

/* The ops table and `device` (the driver's own context, passed back to every op) must stay valid
 * until nk_netdev_unregister, which also happens on its own if the driver crashes or is
 * unloaded. */
nk_status nk_netdev_register(const struct nooks_net_device_info* info,
                             const struct nooks_net_ops* ops, void* device, nk_netdev_handle* out);
void nk_netdev_unregister(nk_netdev_handle handle);
/* A receive area (isolated drivers): where the interrupt handler leaves what it received, for the
 * kernel to take as the handler's crossing returns — one crossing per interrupt instead of a
 * call out of the handler as well. The handler fills frames[0..count) and sets `count` last; the
 * kernel copies the frames and sets `count` back to 0, after which their memory is the driver's
 * again. -NK_ENOSYS for a native driver (it calls nk_netif_rx_batch: no crossing to save). The
 * area stays registered as long as the device. */
struct nooks_net_rx_area {
    volatile uint32_t count;
    uint32_t reserved;
    struct nooks_net_frame frames[NOOKS_NET_BATCH_MAX];
};
nk_status nk_netif_rx_area(nk_netdev_handle handle, struct nooks_net_rx_area* area);

/* The link went up (nonzero) or down: the kernel's interface follows (a down link sends nothing
 * and its routes wait). A device is taken to be up until it says otherwise. */
void nk_netif_link(nk_netdev_handle handle, int up);

/* A received frame: the kernel copies it before returning. */
void nk_netif_rx(nk_netdev_handle handle, const void* frame, size_t length);

/* Several received frames in one call — for an isolated driver one crossing per batch instead of
 * one per frame. Each is copied before the call returns; a frame the kernel cannot accept (too
 * short or long, outside the driver's memory) is counted as an error and skipped. */
void nk_netif_rx_batch(nk_netdev_handle handle, const struct nooks_net_frame* frames,
                       uint32_t count);

#ifdef __cplusplus
}
#endif
