#include "e1000_ring.h"

#include <nooks/support.h>

namespace e1000 {

namespace {

// The device reads descriptors and buffers from memory (DMA): every store to them must be done
// before the store to the tail register that hands them over. x86 keeps stores in order, so
// the compiler is all there is to hold back.
inline void compiler_barrier() {
    __asm__ volatile("" ::: "memory");
}

} // namespace

nk_status DmaMemory::allocate(size_t bytes) {
    cpu = static_cast<uint8_t*>(nk_dma_alloc(bytes, &bus, &handle));
    if (!cpu) {
        handle = nullptr;
        return -NK_ENOMEM;
    }
    return 0;
}

void DmaMemory::release() {
    if (handle)
        nk_dma_free(handle);
    *this = DmaMemory{};
}

nk_status RingStorage::allocate(uint32_t count) {
    if (count < MIN_RING || count > MAX_RING || (count & (count - 1)) != 0)
        return -NK_EINVAL;
    // Descriptors: page-aligned memory from nk_dma_alloc, more than the 16-byte alignment and
    // 128-byte length multiple the manual asks for (14.4, 14.5).
    nk_status status = m_descriptors.allocate(size_t(count) * DESCRIPTOR_BYTES);
    if (status == 0)
        status = m_buffers.allocate(size_t(count) * BUFFER_BYTES);
    if (status < 0) {
        release();
        return status;
    }
    m_count = count;
    return 0;
}

void RingStorage::release() {
    m_buffers.release();
    m_descriptors.release();
    m_count = 0;
}

// ---- Receive

void ReceiveRing::reset() {
    for (uint32_t i = 0; i < count(); ++i) {
        volatile ReceiveDescriptor& slot = descriptor<ReceiveDescriptor>(i);
        slot.buffer_address = buffer_bus(i);
        slot.length = 0;
        slot.packet_checksum = 0;
        slot.status = 0;
        slot.errors = 0;
        slot.special = 0;
    }
    compiler_barrier();
    m_head = 0;
    m_returned = 0;
}

bool ReceiveRing::ready() const {
    return has(descriptor<ReceiveDescriptor>(m_head).status, RxStatus::DD);
}

ReceivedBuffer ReceiveRing::take() {
    volatile ReceiveDescriptor& slot = descriptor<ReceiveDescriptor>(m_head);
    // DD was seen set before these reads (ready()); the device wrote the fields and the data
    // before it set DD, and loads are not reordered on x86: only the compiler must keep order.
    compiler_barrier();
    ReceivedBuffer taken = {m_head, buffer(m_head), slot.length, slot.status, slot.errors};
    m_head = next(m_head);
    return taken;
}

long ReceiveRing::give_back() {
    if (m_returned == m_head)
        return -1;
    uint32_t last = m_returned;
    for (uint32_t i = m_returned; i != m_head; i = next(i)) {
        volatile ReceiveDescriptor& slot = descriptor<ReceiveDescriptor>(i);
        slot.status = 0;
        slot.errors = 0;
        // The device may have written anything here; the buffer address is ours to restore.
        slot.buffer_address = buffer_bus(i);
        last = i;
    }
    compiler_barrier();
    m_returned = m_head;
    return long(last);
}

// ---- Transmit

void TransmitRing::reset() {
    for (uint32_t i = 0; i < count(); ++i) {
        volatile TransmitDescriptor& slot = descriptor<TransmitDescriptor>(i);
        slot.buffer_address = buffer_bus(i);
        slot.length = 0;
        slot.cso = 0;
        slot.cmd = 0;
        slot.status = 0;
        slot.css = 0;
        slot.special = 0;
    }
    compiler_barrier();
    m_head = 0;
    m_tail = 0;
}

long TransmitRing::enqueue(const void* frame, uint32_t length, uint8_t command) {
    if (length == 0 || length > BUFFER_BYTES)
        return -NK_EINVAL;
    if (in_flight() == count() - 1)
        return -NK_EBUSY;
    memcpy(buffer(m_tail), frame, length);
    volatile TransmitDescriptor& slot = descriptor<TransmitDescriptor>(m_tail);
    slot.buffer_address = buffer_bus(m_tail);
    slot.length = uint16_t(length);
    slot.cso = 0;
    slot.css = 0;
    slot.special = 0;
    slot.status = 0; // DD comes back set once the device is done (RS below)
    slot.cmd = command;
    compiler_barrier();
    m_tail = next(m_tail);
    return long(m_tail);
}

Reclaimed TransmitRing::reclaim() {
    Reclaimed reclaimed = {0, 0};
    while (m_head != m_tail) {
        volatile TransmitDescriptor& slot = descriptor<TransmitDescriptor>(m_head);
        uint8_t status = slot.status;
        if (!has(status, TxStatus::DD))
            break;
        if (status & mask(TxStatus::EC, TxStatus::LC))
            ++reclaimed.failed;
        slot.status = 0;
        ++reclaimed.frames;
        m_head = next(m_head);
    }
    return reclaimed;
}

} // namespace e1000
