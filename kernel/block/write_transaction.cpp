#include <kernel/block/block_device.h>
#include <kernel/block/write_transaction.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/sched/scheduler.h>

#include <string.h>

namespace kernel::block {

WriteTransaction::WriteTransaction() {
    Thread* self = sched::current();
    m_previous = self->block_transaction;
    self->block_transaction = this;
}

WriteTransaction::~WriteTransaction() {
    abort();
    sched::current()->block_transaction = m_previous;
}

WriteTransaction* WriteTransaction::current() {
    return static_cast<WriteTransaction*>(sched::current()->block_transaction);
}

nk::ErrorOr WriteTransaction::stage(BlockDevice& device, nk::u64 sector, nk::u32 count,
                                    const void* data) {
    return add(device, sector, count, data, true);
}

nk::ErrorOr WriteTransaction::stage_shared(BlockDevice& device, nk::u64 sector, nk::u32 count,
                                           const void* data) {
    return add(device, sector, count, data, false);
}

nk::ErrorOr WriteTransaction::add(BlockDevice& device, nk::u64 sector, nk::u32 count,
                                  const void* data, bool copy) {
    nk::u64 bytes = nk::u64(count) * device.sector_size();
    if (m_bytes + bytes > MAX_BYTES)
        return nk::Error::TooBig;
    // The record and, for a copy, its data in one allocation.
    auto* write = static_cast<StagedWrite*>(kmalloc(sizeof(StagedWrite) + (copy ? bytes : 0)));
    if (!write)
        return nk::Error::NoMemory;
    const auto* staged = static_cast<const nk::u8*>(data);
    if (copy) {
        auto* own = reinterpret_cast<nk::u8*>(write + 1);
        memcpy(own, data, bytes);
        staged = own;
    }
    *write = {nullptr, &device, sector, count, staged};
    if (m_last)
        m_last->next = write;
    else
        m_first = write;
    m_last = write;
    m_bytes += bytes;
    ++m_writes;
    return {};
}

void WriteTransaction::overlay(const BlockDevice& device, nk::u64 sector, nk::u32 count,
                               void* buffer) const {
    nk::u64 size = device.sector_size();
    // In staging order, so a later write to the same sector wins.
    for (const StagedWrite* write = m_first; write; write = write->next) {
        if (write->device != &device)
            continue;
        nk::u64 start = nk::max(sector, write->sector);
        nk::u64 end = nk::min(sector + count, write->sector + write->count);
        if (start >= end)
            continue;
        memcpy(static_cast<nk::u8*>(buffer) + (start - sector) * size,
               write->data + (start - write->sector) * size, (end - start) * size);
    }
}

nk::ErrorOr WriteTransaction::commit() {
    nk::ErrorOr result = m_first ? cache_write_all(m_first) : nk::ErrorOr();
    abort();
    return result;
}

void WriteTransaction::abort() {
    for (StagedWrite* write = m_first; write;) {
        StagedWrite* next = write->next;
        kfree(write);
        write = next;
    }
    m_first = m_last = nullptr;
    m_bytes = 0;
}

} // namespace kernel::block
