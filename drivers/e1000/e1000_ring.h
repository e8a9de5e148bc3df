// The descriptor rings shared with the controller (SDM 3.2 receive, 3.3 transmit). A ring is a
// power-of-two number of legacy descriptors in DMA memory, a parallel array of 2 KiB DMA
// buffers (one frame each), and the software's own head and tail: the driver never reads RDH or
// TDH back (the manual calls that unreliable, 13.4.28 and 13.4.39), it learns what the device
// finished from the DD bit the device writes into each descriptor. Full and empty are return
// values. A ring does not touch registers; the caller writes the tails it returns.
#pragma once

#include "e1000_registers.h"

#include <nooks/kernel_api.h>

namespace e1000 {

// Every buffer holds one whole frame: RCTL.BSIZE is 2048 (long packets off), and frames to send
// are at most MAX_FRAME bytes.
constexpr uint32_t BUFFER_BYTES = 2048;
// Ring sizes a ring accepts: a power of two, at least 8 descriptors (RDLEN/TDLEN are multiples
// of 128 bytes), at most 2048 (the buffers are one DMA allocation: 4 MiB at most).
constexpr uint32_t MIN_RING = 8;
constexpr uint32_t MAX_RING = 2048;
// Both legacy descriptors are 16 bytes, so one storage class serves both rings.
constexpr uint32_t DESCRIPTOR_BYTES = 16;
static_assert(sizeof(ReceiveDescriptor) == DESCRIPTOR_BYTES &&
              sizeof(TransmitDescriptor) == DESCRIPTOR_BYTES);
static_assert(MIN_RING * DESCRIPTOR_BYTES % RING_LENGTH_ALIGNMENT == 0,
              "every ring size accepted gives RDLEN/TDLEN a multiple of 128 bytes");

// Physically contiguous, zeroed memory the device can reach (nk_dma_alloc).
struct DmaMemory {
    uint8_t* cpu = nullptr;
    uint64_t bus = 0;
    nk_dma_handle handle = nullptr;

    nk_status allocate(size_t bytes);
    void release();
};

// Storage common to both rings: the descriptors and the buffers.
class RingStorage {
public:
    nk_status allocate(uint32_t count);
    void release();

    uint32_t count() const { return m_count; }
    uint32_t next(uint32_t index) const { return (index + 1) & (m_count - 1); }
    // What RDBAL/RDBAH/RDLEN (TDBAL/TDBAH/TDLEN) are programmed with.
    uint64_t descriptors_bus() const { return m_descriptors.bus; }
    uint32_t descriptors_bytes() const { return m_count * DESCRIPTOR_BYTES; }
    uint8_t* buffer(uint32_t index) const { return m_buffers.cpu + index * BUFFER_BYTES; }
    uint64_t buffer_bus(uint32_t index) const { return m_buffers.bus + index * BUFFER_BYTES; }

protected:
    template <typename Descriptor>
    volatile Descriptor& descriptor(uint32_t index) const {
        return reinterpret_cast<volatile Descriptor*>(m_descriptors.cpu)[index & (m_count - 1)];
    }

private:
    DmaMemory m_descriptors;
    DmaMemory m_buffers;
    uint32_t m_count = 0;
};

// A received frame, as the device described it in its descriptor. Untrusted: the caller checks
// length, status and errors before believing any of it.
struct ReceivedBuffer {
    uint32_t index;
    const uint8_t* data; // the descriptor's buffer (BUFFER_BYTES long)
    uint16_t length;
    uint8_t status; // RxStatus bits
    uint8_t errors; // RxError bits
};

class ReceiveRing : public RingStorage {
public:
    // Every descriptor is given its buffer with the status cleared; the device may fill all but
    // one (RDT = count - 1: head equal to tail means "none" to the device); the next one to look
    // at is the first.
    void reset();
    uint32_t initial_tail() const { return count() - 1; }

    // Whether the device has finished the descriptor at the software head (its DD bit).
    bool ready() const;
    // Takes the descriptor at the head (ready() must be true) and moves the head on. Its buffer
    // stays the driver's until give_back().
    ReceivedBuffer take();
    // Hands every descriptor taken since the last call back to the device (status cleared, so
    // a stale DD cannot be seen again) and returns the new tail to write to RDT: the last one
    // taken. Returns -1 when nothing was taken.
    long give_back();

private:
    uint32_t m_head = 0;     // next descriptor to look at
    uint32_t m_returned = 0; // first descriptor taken and not yet given back
};

// What reclaim() found: frames the device has finished with, and how many of those it reported
// as failed (excess or late collisions, SDM 3.3.3.2).
struct Reclaimed {
    uint32_t frames;
    uint32_t failed;
};

class TransmitRing : public RingStorage {
public:
    // Empty: head = tail = 0 (TDH = TDT = 0), every descriptor pointing at its buffer.
    void reset();

    // Copies `frame` into the buffer of the descriptor at the tail, fills the descriptor with
    // `command` (TxCommand bits) and moves the tail on. Returns the new tail to write to TDT, or
    // -NK_EBUSY when the ring is full (count - 1 frames in flight: the tail must never reach the
    // head again, which would read as empty). The length must be 1..BUFFER_BYTES.
    long enqueue(const void* frame, uint32_t length, uint8_t command);
    // Moves the head past the descriptors the device has written back (DD), oldest first.
    Reclaimed reclaim();
    uint32_t in_flight() const { return (m_tail - m_head) & (count() - 1); }

private:
    uint32_t m_head = 0; // oldest descriptor given to the device and not yet reclaimed
    uint32_t m_tail = 0; // next free descriptor (the TDT last written)
};

} // namespace e1000
