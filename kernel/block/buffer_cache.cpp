#include <kernel/block/block_device.h>
#include <kernel/block/buffer_cache.h>
#include <kernel/memory/kmalloc.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>
#include <kernel/sched/scheduler.h>
#include <kernel/sync/mutex.h>
#include <nk/intrusive_list.h>
#include <stdio.h>

#include <string.h>

namespace kernel::block {

namespace {

struct Page {
    nk::IntrusiveListNode lru; // least recently used first
    Page* hash_next;
    BlockDevice* device;
    nk::u64 index;   // page number on the device
    nk::u32 sectors; // valid sectors (the device's last page may be short)
    nk::u32 pins;    // held by a write_all in progress: not evicted
    bool dirty;
    bool empty; // made for a write that covers it whole, not written yet: holds nothing
    nk::u64 phys;
    nk::u8* data;
};

constexpr nk::usize BUCKETS = 4096;
constexpr nk::u64 MAX_CAPACITY_PAGES = (32ull << 20) / CACHE_PAGE_SIZE;

Mutex g_lock;
Page* g_buckets[BUCKETS];
nk::IntrusiveList<Page, &Page::lru> g_lru;
CacheStats g_stats;
// One run of pages as the device sees it, for merged reads and writes (under g_lock).
nk::u8* g_run = nullptr;
bool g_flusher_started = false;

nk::usize bucket_of(const BlockDevice* device, nk::u64 index) {
    nk::u64 key = reinterpret_cast<nk::u64>(device) / 64 + index * 0x9e3779b97f4a7c15ull;
    return nk::usize((key >> 20) ^ key) % BUCKETS;
}

nk::u32 sectors_per_page(const BlockDevice& device) {
    return CACHE_PAGE_SIZE / device.sector_size();
}

// How many sectors page `index` of the device holds (all but a short last page: the full count).
nk::u32 sectors_in_page(const BlockDevice& device, nk::u64 index) {
    nk::u64 first = index * sectors_per_page(device);
    return nk::u32(nk::min<nk::u64>(sectors_per_page(device), device.sector_count() - first));
}

nk::u64 capacity_pages() {
    if (!g_stats.capacity_pages) {
        // An eighth of memory, at most 32 MiB: the rest stays for programs and extensions.
        nk::u64 total = memory::frames().stats().total_frames;
        g_stats.capacity_pages = nk::max<nk::u64>(64, nk::min(total / 8, MAX_CAPACITY_PAGES));
    }
    return g_stats.capacity_pages;
}

Page* lookup(const BlockDevice& device, nk::u64 index) {
    for (Page* page = g_buckets[bucket_of(&device, index)]; page; page = page->hash_next) {
        if (page->device == &device && page->index == index)
            return page;
    }
    return nullptr;
}

void unhash(Page& page) {
    Page** link = &g_buckets[bucket_of(page.device, page.index)];
    while (*link != &page)
        link = &(*link)->hash_next;
    *link = page.hash_next;
}

void free_page(Page& page) {
    unhash(page);
    g_lru.remove(page);
    --g_stats.pages;
    if (page.dirty)
        --g_stats.dirty_pages;
    (void)memory::frames().free(page.phys, 0);
    kfree(&page);
}

void touch(Page& page) {
    g_lru.remove(page);
    g_lru.push_back(page);
}

void mark_clean(Page& page) {
    if (page.dirty) {
        page.dirty = false;
        --g_stats.dirty_pages;
    }
}

void mark_dirty(Page& page) {
    if (!page.dirty) {
        page.dirty = true;
        ++g_stats.dirty_pages;
    }
}

bool ensure_run_buffer() {
    if (!g_run)
        g_run = static_cast<nk::u8*>(kmalloc(CACHE_RUN_BYTES));
    return g_run != nullptr;
}

// Writes pages [first, first + count) of one device, adjacent and dirty, as one request.
nk::ErrorOr write_run(Page** pages, nk::usize count) {
    BlockDevice& device = *pages[0]->device;
    nk::u32 sectors = 0;
    for (nk::usize i = 0; i < count; ++i) {
        memcpy(g_run + nk::usize(sectors) * device.sector_size(), pages[i]->data,
               nk::usize(pages[i]->sectors) * device.sector_size());
        sectors += pages[i]->sectors;
    }
    TRY(device.write_direct(pages[0]->index * sectors_per_page(device), sectors, g_run));
    for (nk::usize i = 0; i < count; ++i)
        mark_clean(*pages[i]);
    g_stats.written_pages += count;
    ++g_stats.write_requests;
    return {};
}

// Orders pages by device, then page number (Shell's sort: no recursion, no allocation).
bool before(const Page* a, const Page* b) {
    if (a->device != b->device)
        return reinterpret_cast<nk::uptr>(a->device) < reinterpret_cast<nk::uptr>(b->device);
    return a->index < b->index;
}

void sort_pages(Page** pages, nk::usize count) {
    for (nk::usize gap = count / 2; gap > 0; gap /= 2) {
        for (nk::usize i = gap; i < count; ++i) {
            Page* page = pages[i];
            nk::usize j = i;
            for (; j >= gap && before(page, pages[j - gap]); j -= gap)
                pages[j] = pages[j - gap];
            pages[j] = page;
        }
    }
}

nk::ErrorOr write_back_locked(BlockDevice* device) {
    nk::usize dirty = 0;
    for (Page& page : g_lru) {
        if (page.dirty && (!device || page.device == device))
            ++dirty;
    }
    if (!dirty)
        return {};
    if (!ensure_run_buffer())
        return nk::Error::NoMemory;
    auto** pages = static_cast<Page**>(kmalloc(dirty * sizeof(Page*)));
    if (!pages)
        return nk::Error::NoMemory;
    nk::usize count = 0;
    for (Page& page : g_lru) {
        if (page.dirty && (!device || page.device == device) && count < dirty)
            pages[count++] = &page;
    }
    sort_pages(pages, count);
    ++g_stats.flushes;
    nk::ErrorOr result = {};
    constexpr nk::usize RUN_PAGES = CACHE_RUN_BYTES / CACHE_PAGE_SIZE;
    for (nk::usize start = 0; start < count;) {
        nk::usize length = 1;
        while (start + length < count && length < RUN_PAGES &&
               pages[start + length]->device == pages[start]->device &&
               pages[start + length]->index == pages[start]->index + length &&
               pages[start + length - 1]->sectors == sectors_per_page(*pages[start]->device))
            ++length;
        auto written = write_run(pages + start, length);
        if (written.is_error() && result.has_value())
            result = written.error();
        start += length;
    }
    kfree(pages);
    return result;
}

// Makes room for one more page: the least recently used unpinned page goes, written back first
// (with every other dirty page of its device, merged) when dirty.
nk::ErrorOr evict_one() {
    for (Page& page : g_lru) {
        if (page.pins)
            continue;
        if (page.dirty) {
            TRY(write_back_locked(page.device));
            return {}; // the next pass finds a clean page
        }
        ++g_stats.evictions;
        free_page(page);
        return {};
    }
    return {}; // everything pinned: go over the budget for a moment
}

nk::Result<Page*> new_page(BlockDevice& device, nk::u64 index) {
    while (g_stats.pages >= capacity_pages()) {
        nk::u64 before_count = g_stats.pages;
        nk::u64 dirty_before = g_stats.dirty_pages;
        TRY(evict_one());
        if (g_stats.pages == before_count && g_stats.dirty_pages == dirty_before)
            break; // all pinned
    }
    auto* page = static_cast<Page*>(kzalloc(sizeof(Page)));
    if (!page)
        return nk::Error::NoMemory;
    auto frame = memory::frames().allocate(0);
    if (frame.is_error()) {
        kfree(page);
        return frame.error();
    }
    page->device = &device;
    page->index = index;
    page->sectors = sectors_in_page(device, index);
    page->phys = frame.value();
    page->data = phys_to_virt<nk::u8>(page->phys);
    nk::usize bucket = bucket_of(&device, index);
    page->hash_next = g_buckets[bucket];
    g_buckets[bucket] = page;
    g_lru.push_back(*page);
    ++g_stats.pages;
    return page;
}

// Brings pages [index, index + count) in, reading the missing ones in merged runs. `fill`
// false: a page about to be overwritten completely is made without reading it.
nk::ErrorOr bring_in(BlockDevice& device, nk::u64 index, nk::u64 count, bool fill) {
    constexpr nk::u64 RUN_PAGES = CACHE_RUN_BYTES / CACHE_PAGE_SIZE;
    for (nk::u64 i = 0; i < count;) {
        if (Page* page = lookup(device, index + i)) {
            ++g_stats.hits;
            touch(*page);
            ++i;
            continue;
        }
        nk::u64 run = 1;
        if (fill) {
            // Read-ahead: a miss brings in the following pages too, up to one run, until one
            // that is cached already or the end of the device. Sequential readers (a file
            // system asking a cluster at a time) then find the rest in the cache.
            nk::u64 pages_on_device =
                (device.sector_count() + sectors_per_page(device) - 1) / sectors_per_page(device);
            while (run < RUN_PAGES && index + i + run < pages_on_device &&
                   !lookup(device, index + i + run))
                ++run;
        } else {
            while (i + run < count && run < RUN_PAGES && !lookup(device, index + i + run))
                ++run;
        }
        if (!fill) {
            for (nk::u64 j = 0; j < run; ++j)
                TRY(new_page(device, index + i + j))->empty = true;
            i += run;
            continue;
        }
        if (!ensure_run_buffer())
            return nk::Error::NoMemory;
        nk::u64 first_sector = (index + i) * sectors_per_page(device);
        nk::u32 sectors = 0;
        for (nk::u64 j = 0; j < run; ++j)
            sectors += sectors_in_page(device, index + i + j);
        TRY(device.read_direct(first_sector, sectors, g_run));
        g_stats.misses += run;
        nk::usize offset = 0;
        for (nk::u64 j = 0; j < run; ++j) {
            Page* page = TRY(new_page(device, index + i + j));
            memcpy(page->data, g_run + offset, nk::usize(page->sectors) * device.sector_size());
            offset += nk::usize(page->sectors) * device.sector_size();
        }
        i += run;
    }
    return {};
}

// The byte range a page shares with [sector, sector + count): offsets in the page and in the
// caller's buffer, and the length.
struct Overlap {
    nk::usize page_offset;
    nk::usize buffer_offset;
    nk::usize length;
};

Overlap overlap(const BlockDevice& device, nk::u64 index, nk::u64 sector, nk::u32 count) {
    nk::u64 size = device.sector_size();
    nk::u64 page_start = index * sectors_per_page(device) * size;
    nk::u64 page_end = page_start + nk::u64(sectors_in_page(device, index)) * size;
    nk::u64 start = nk::max(page_start, sector * size);
    nk::u64 end = nk::min(page_end, (sector + count) * size);
    return {nk::usize(start - page_start), nk::usize(start - sector * size),
            nk::usize(end - start)};
}

// Whether a write of [sector, sector + count) covers page `index` completely.
bool covers(const BlockDevice& device, nk::u64 index, nk::u64 sector, nk::u32 count) {
    Overlap part = overlap(device, index, sector, count);
    return part.length == nk::usize(sectors_in_page(device, index)) * device.sector_size();
}

void flusher(void*) {
    for (;;) {
        sched::sleep_ms(FLUSH_INTERVAL_MS);
        MutexLocker locker(g_lock);
        if (g_stats.dirty_pages)
            (void)write_back_locked(nullptr);
    }
}

} // namespace

nk::ErrorOr cache_read(BlockDevice& device, nk::u64 sector, nk::u32 count, void* buffer) {
    MutexLocker locker(g_lock);
    nk::u32 per_page = sectors_per_page(device);
    nk::u64 first = sector / per_page;
    nk::u64 last = (sector + count - 1) / per_page;
    // In slices of the cache's budget, so a read larger than the cache still works.
    nk::u64 slice = nk::max<nk::u64>(1, capacity_pages() / 2);
    for (nk::u64 index = first; index <= last; index += slice) {
        nk::u64 pages = nk::min(slice, last - index + 1);
        TRY(bring_in(device, index, pages, true));
        for (nk::u64 i = index; i < index + pages; ++i) {
            Page* page = lookup(device, i);
            if (!page)
                return nk::Error::IO; // evicted by its own slice: cannot happen with slice < cap
            Overlap part = overlap(device, i, sector, count);
            memcpy(static_cast<nk::u8*>(buffer) + part.buffer_offset, page->data + part.page_offset,
                   part.length);
        }
    }
    return {};
}

nk::ErrorOr cache_write_all(const StagedWrite* first) {
    MutexLocker locker(g_lock);
    // Phase 1: every page any write touches, present and pinned. A failure here changes nothing.
    nk::ErrorOr prepared = {};
    for (const StagedWrite* write = first; write && prepared.has_value(); write = write->next) {
        BlockDevice& device = *write->device;
        nk::u32 per_page = sectors_per_page(device);
        nk::u64 last = (write->sector + write->count - 1) / per_page;
        for (nk::u64 index = write->sector / per_page; index <= last; ++index) {
            prepared =
                bring_in(device, index, 1, !covers(device, index, write->sector, write->count));
            if (prepared.is_error())
                break;
            ++lookup(device, index)->pins;
        }
    }
    // Phase 2 (only when phase 1 got everything): copy. Then unpin whatever was pinned.
    for (const StagedWrite* write = first; write; write = write->next) {
        BlockDevice& device = *write->device;
        nk::u32 per_page = sectors_per_page(device);
        nk::u64 last = (write->sector + write->count - 1) / per_page;
        for (nk::u64 index = write->sector / per_page; index <= last; ++index) {
            Page* page = lookup(device, index);
            if (!page || !page->pins)
                continue;
            if (prepared.has_value()) {
                Overlap part = overlap(device, index, write->sector, write->count);
                memcpy(page->data + part.page_offset, write->data + part.buffer_offset,
                       part.length);
                page->empty = false;
                mark_dirty(*page);
            }
            --page->pins;
        }
    }
    if (prepared.is_error()) {
        // Pages made for whole-page writes that were not applied hold no data: they go.
        for (Page& page : g_lru) {
            if (page.empty && !page.pins)
                free_page(page);
        }
    }
    return prepared;
}

nk::ErrorOr cache_write_back(BlockDevice* device, bool flush_device) {
    MutexLocker locker(g_lock);
    nk::ErrorOr written = write_back_locked(device);
    if (flush_device && device && written.has_value())
        return device->flush_direct();
    return written;
}

nk::u64 cache_forget_device(BlockDevice& device) {
    MutexLocker locker(g_lock);
    nk::u64 lost = 0;
    // (The list's iterator has the next node in hand before this one goes.)
    for (Page& page : g_lru) {
        if (page.device == &device) {
            lost += page.dirty;
            free_page(page);
        }
    }
    return lost;
}

nk::u64 cache_drop_clean() {
    MutexLocker locker(g_lock);
    nk::u64 dropped = 0;
    for (Page& page : g_lru) {
        if (!page.dirty && !page.pins) {
            free_page(page);
            ++dropped;
        }
    }
    return dropped;
}

CacheStats cache_stats() {
    MutexLocker locker(g_lock);
    (void)capacity_pages();
    return g_stats;
}

nk::u64 cache_dirty_pages(const BlockDevice& device) {
    MutexLocker locker(g_lock);
    nk::u64 dirty = 0;
    for (Page& page : g_lru)
        dirty += page.dirty && page.device == &device;
    return dirty;
}

void start_cache_flusher() {
    if (__atomic_exchange_n(&g_flusher_started, true, __ATOMIC_SEQ_CST))
        return;
    {
        // The run buffer from the start too, not at the first disk (a late allocation that
        // stays would look like a leak).
        MutexLocker locker(g_lock);
        (void)ensure_run_buffer();
    }
    auto thread = sched::create_thread("bflush", flusher, nullptr);
    if (thread.is_error()) {
        g_flusher_started = false;
        kprintf("block: no flusher thread (%s); dirty pages wait for sync\n",
                nk::error_name(thread.error()));
        return;
    }
    sched::start(thread.value());
}

} // namespace kernel::block
