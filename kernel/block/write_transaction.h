// Crossing-atomic writes: while a thread has a WriteTransaction open, what it writes to block
// devices is held in the transaction — its own reads see it — and reaches the buffer cache only
// at commit(), all or nothing. The fs proxy opens one around each request it sends an isolated
// file system: the request's writes count only if the crossing returns normally, and a crash in
// the middle of an operation leaves the volume exactly as it was before it, so the operation can
// be replayed after the restart.
#pragma once

#include <kernel/block/buffer_cache.h>
#include <nk/result.h>
#include <nk/types.h>

namespace kernel::block {

class WriteTransaction {
public:
    // More than this in one transaction is refused (Error::TooBig): no file-system request
    // writes nearly that much (data moves in 64 KiB pieces).
    static constexpr nk::u64 MAX_BYTES = 8ull << 20;

    // Opens on the running thread (nesting: the inner one is the thread's until it ends).
    WriteTransaction();
    // Drops whatever was not committed.
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;

    // The running thread's open transaction, or nullptr.
    static WriteTransaction* current();

    // Called by BlockDevice for writes and reads made while it is open. Ranges are checked.
    nk::ErrorOr stage(BlockDevice& device, nk::u64 sector, nk::u32 count, const void* data);
    // As stage(), without the copy: `data` is referenced and must stay unchanged until the
    // transaction commits or ends (file data the fs proxy moves for a file system).
    nk::ErrorOr stage_shared(BlockDevice& device, nk::u64 sector, nk::u32 count, const void* data);
    void overlay(const BlockDevice& device, nk::u64 sector, nk::u32 count, void* buffer) const;

    // Into the cache, all or nothing; the transaction is empty afterwards either way.
    nk::ErrorOr commit();
    // Forgets everything staged.
    void abort();

    nk::u64 staged_bytes() const { return m_bytes; }
    nk::u64 staged_writes() const { return m_writes; }

private:
    nk::ErrorOr add(BlockDevice& device, nk::u64 sector, nk::u32 count, const void* data,
                    bool copy);

    StagedWrite* m_first = nullptr;
    StagedWrite* m_last = nullptr;
    nk::u64 m_bytes = 0;
    nk::u64 m_writes = 0;
    void* m_previous = nullptr;
};

} // namespace kernel::block
