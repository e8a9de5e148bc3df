// A network interface as the kernel sees it: Ethernet frames out (transmit) and in (the
// receive hook the network stack installs). The NIC extension registers one per card ("eth0");
// lwIP's netif glue binds to it by name.
//
// Lifetime: as kernel::block::BlockDevice — reference counted, the registry holds one
// reference, a device whose driver went away fails with Error::NoDevice until the last user
// lets go.
#pragma once

#include <kernel/device/device_registry.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::net {

constexpr nk::usize MAX_NAME = RegisteredDevice::MAX_NAME;
constexpr nk::usize MAC_LENGTH = 6;
constexpr nk::usize MAX_FRAME = 1518; // Ethernet II with FCS stripped: 14 + 1500 (+4 VLAN)
constexpr nk::usize MIN_FRAME = 14;

class NetDevice;

// A frame to send, in a batch (NetDevice::transmit_batch).
struct OutFrame {
    const nk::u8* data;
    nk::usize length;
};
constexpr nk::usize MAX_BATCH = 64;
// Called for every received frame, in the driver's context (an interrupt or its thread): copy
// what is needed and return.
using ReceiveHook = void (*)(NetDevice& device, const nk::u8* frame, nk::usize length,
                             void* context);
// Called when the driver reports its link going up or down (any context: defer the work).
using LinkHook = void (*)(NetDevice& device, bool up, void* context);

struct NetStats {
    nk::u64 tx_frames, tx_bytes, tx_errors;
    nk::u64 rx_frames, rx_bytes, rx_dropped;
    nk::u64 rx_errors; // frames the driver handed over that could not be taken (bad pointer, size)
};

class NetDevice : public RegisteredDevice {
public:
    const nk::u8* mac() const { return m_mac; }
    nk::u32 mtu() const { return m_mtu; }
    bool is_up() const { return m_up; }
    // The link as the driver last reported it (up until it says otherwise).
    bool link_up() const { return m_link_up; }

    // Brings the link up / down (the driver enables its receiver and interrupts).
    nk::ErrorOr open();
    void stop();
    // Error::Invalid for a frame shorter than a header or longer than MAX_FRAME, Error::NoDevice
    // once the driver is gone, Error::Busy when its transmit ring is full.
    nk::ErrorOr transmit(const nk::u8* frame, nk::usize length);
    // Up to MAX_BATCH frames (each as transmit() checks them), in order, one call into the
    // driver where it can: how many it took (the first n). An error only when it took none.
    nk::Result<nk::usize> transmit_batch(const OutFrame* frames, nk::usize count);

    // The network stack's side.
    void set_receive_hook(ReceiveHook hook, void* context);
    void set_link_hook(LinkHook hook, void* context);
    // The driver's side: its link went up or down.
    void set_link(bool up);
    // The driver's side: a frame arrived (dropped when no hook is set or the device is down).
    void deliver(const nk::u8* frame, nk::usize length);
    void count_receive_error() { ++m_stats.rx_errors; }

    NetStats stats() const { return m_stats; }

protected:
    NetDevice(const char* name, const nk::u8 (&mac)[MAC_LENGTH], nk::u32 mtu);

    virtual nk::ErrorOr do_open() = 0;
    virtual void do_stop() = 0;
    virtual nk::ErrorOr do_transmit(const nk::u8* frame, nk::usize length) = 0;
    // Default: one do_transmit() after another, until one fails.
    virtual nk::Result<nk::usize> do_transmit_batch(const OutFrame* frames, nk::usize count);

private:
    friend void unregister_device(NetDevice& device);

    nk::u8 m_mac[MAC_LENGTH];
    nk::u32 m_mtu;
    bool m_up = false;
    ReceiveHook m_hook = nullptr;
    void* m_hook_context = nullptr;
    LinkHook m_link_hook = nullptr;
    void* m_link_context = nullptr;
    bool m_link_up = true;
    NetStats m_stats = {};
};

// As the block registry: takes over the creator's reference; Error::Exists, Error::Invalid.
nk::ErrorOr register_device(NetDevice& device);
void unregister_device(NetDevice& device);
NetDevice* find(const char* name);
void for_each_device(void (*visit)(NetDevice& device, void* context), void* context);
nk::usize device_count();

} // namespace kernel::net
