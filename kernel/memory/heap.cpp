// The kernel heap (see heap.h for the contract).
//
// Small requests (1..2048 bytes) are rounded up to a power-of-two class and served from slab
// pages: one 4 KiB page whose first bytes are a Slab header (magic, owner, class, allocation and
// quarantine bitmaps, the requested size of every object for exact statistics), followed by the
// objects. Larger requests get a page block of their own whose first 32 bytes are a LargeHeader,
// so the pointer handed out is never page aligned. free() rounds the pointer down to its page and
// tells the two apart by the magic found there; both headers record their owning heap so that a
// pointer from another heap (another Nooks domain) is refused rather than corrupting this one.
//
// Objects per slab page with the 104-byte header: 16 B: 221, 32 B: 117, 64 B: 60, 128 B: 30,
// 256 B: 15, 512 B: 7, 1024 B: 3, 2048 B: 1. The 2048 class holds one object per page: a second
// one would not leave room for the header, and the header must sit in the same page as every
// object because free() finds it by rounding down to the page. The class is kept anyway because
// it still gets poisoning, double-free detection and reuse without a trip to the PageSource.
//
// Free objects hold nothing but poison (there is no free list threaded through them), so a
// single byte written after free() is visible when the object is handed out again.
//
// Untrusted pages. An isolated extension's heap runs this code (in the kernel's address space,
// called through a wrapper) over pages the extension can write at any time, so everything in a
// page - magic, owner, geometry, bitmaps, counts, the prev/next links, a large header's order -
// may be forged. The invariant, for every PageSource:
//
//   The heap reads and writes only (a) the Heap object itself, (b) pages handed to it by
//   allocate_pages() (fresh, before anything is stored in them), and (c) memory the page source
//   owns() - asked before the first read of a page header reached through a caller's pointer
//   or through a pointer/index found in page metadata. A header is then trusted only with this
//   heap's magic and owner and exactly the geometry this heap gives its size class (so every
//   object index, bitmap bit and requested-size slot derived from it stays inside its page), a
//   large header only when the whole block its order claims is owned, and a list neighbour
//   only when it is such a slab of the same class that points back. A caller's pointer that
//   leads to no trusted header is refused as before (Error::Invalid); anything else that fails
//   is damage: the pointer is not followed, the operation fails with Error::Corrupt and counts
//   it in errors_detected, and the list involved is dropped (its head, in the Heap object,
//   reset; its pages stay with the source and go back when it is destroyed). List walks are
//   bounded by the number of slab pages, since a forged list may be a cycle.
//
// So the worst an extension achieves by scribbling over its own heap is a broken heap of its
// own. The checks assume nothing writes the pages while a heap call runs (the kernel calls an
// extension's heap with interrupts off on its single CPU); with other CPUs running the
// extension, each header would have to be copied before it is checked.
//
// The kernel heap's source owns() everything: the same checks then only restate invariants an
// intact heap keeps, so its behaviour is the one it always had.
#include <kernel/memory/heap.h>

namespace kernel {

using nk::u16;
using nk::u32;
using nk::u64;
using nk::u8;
using nk::uptr;
using nk::usize;

namespace {

constexpr u32 SLAB_MAGIC = 0x534c4142;  // "SLAB"
constexpr u32 LARGE_MAGIC = 0x4c415247; // "LARG"
// Written over a header before its pages go back, so a stale pointer fails the magic check as
// long as nobody has reused the page.
constexpr u32 RETIRED_MAGIC = 0x44454144; // "DEAD"

// Linux's POISON_FREE byte: not a plausible pointer, length or small integer.
constexpr u8 POISON_BYTE = 0x6b;
constexpr u64 POISON_WORD = 0x6b6b6b6b6b6b6b6bull;

constexpr usize ALIGNMENT = 16;
constexpr usize MIN_OBJECT_SIZE = 16;
constexpr unsigned BITMAP_WORDS = 4;
constexpr usize MAX_SLAB_OBJECTS = BITMAP_WORDS * 64;

// Largest block the kernel's buddy allocator can supply (FrameAllocator::MAX_ORDER).
constexpr unsigned MAX_LARGE_ORDER = 10;
constexpr usize LARGE_HEADER_BYTES = 32;
constexpr usize MAX_LARGE_SIZE = (HEAP_PAGE_SIZE << MAX_LARGE_ORDER) - LARGE_HEADER_BYTES;

struct LargeHeader {
    u32 magic;
    u32 order;
    const void* owner;
    u64 requested;
    u64 unused;
};
static_assert(sizeof(LargeHeader) == LARGE_HEADER_BYTES);
static_assert(LARGE_HEADER_BYTES % ALIGNMENT == 0);

struct SlabLayout {
    u16 object_count;
    u16 object_offset;
};

// The most objects of `object_size` that fit in a page after the header and one u16 requested
// size per object.
constexpr SlabLayout slab_layout(usize header_bytes, usize object_size) {
    usize count = nk::min(MAX_SLAB_OBJECTS, HEAP_PAGE_SIZE / object_size);
    for (; count > 0; --count) {
        usize offset = nk::align_up(header_bytes + count * sizeof(u16), ALIGNMENT);
        if (offset + count * object_size <= HEAP_PAGE_SIZE)
            return {static_cast<u16>(count), static_cast<u16>(offset)};
    }
    return {0, 0};
}

uptr page_of(const void* pointer) {
    return nk::align_down(reinterpret_cast<uptr>(pointer), HEAP_PAGE_SIZE);
}

// Rejects what can be rejected without reading memory: every pointer handed out is 16-byte
// aligned and lies past the page header, so its page starts at a non-zero address.
bool is_plausible(const void* pointer) {
    auto address = reinterpret_cast<uptr>(pointer);
    return address >= HEAP_PAGE_SIZE && nk::is_aligned(address, ALIGNMENT);
}

void poison(u8* bytes, usize size) {
    __builtin_memset(bytes, POISON_BYTE, size);
}

bool is_poisoned(const u8* bytes, usize size) {
    for (usize i = 0; i < size; i += sizeof(u64)) {
        u64 word;
        // memcpy rather than a u64 load: the caller wrote these bytes through arbitrary types.
        __builtin_memcpy(&word, bytes + i, sizeof(word));
        if (word != POISON_WORD)
            return false;
    }
    return true;
}

usize large_block_bytes(unsigned order) {
    return HEAP_PAGE_SIZE << order;
}

// The header of the large block handed out as `pointer`, or nullptr. The page is asked about
// before its header is read; a header of `owner` whose order claims more than the source owns
// there sets `damaged` (it cannot be the heap's: it would free or expose memory it never had).
LargeHeader* large_header_of(const PageSource& pages, const void* owner, const void* pointer,
                             bool& damaged) {
    uptr page = page_of(pointer);
    if (reinterpret_cast<uptr>(pointer) != page + LARGE_HEADER_BYTES)
        return nullptr;
    auto* header = reinterpret_cast<LargeHeader*>(page);
    if (!pages.owns(header, HEAP_PAGE_SIZE))
        return nullptr;
    if (header->magic != LARGE_MAGIC || header->owner != owner || header->order > MAX_LARGE_ORDER)
        return nullptr;
    if (!pages.owns(header, large_block_bytes(header->order))) {
        damaged = true;
        return nullptr;
    }
    return header;
}

} // namespace

struct Heap::Slab {
    u32 magic;
    u16 object_size;
    u16 object_offset;
    u16 object_count;
    u16 free_count; // objects neither allocated nor quarantined
    u16 quarantined_count;
    u8 size_class;
    u8 unused;
    const Heap* owner;
    Slab* prev; // on its class's partial or full list
    Slab* next;
    u64 allocated[BITMAP_WORDS];
    // Objects found damaged when about to be reused: never handed out again, and their slab is
    // never trimmed, so the evidence stays in place for a debugger.
    u64 quarantined[BITMAP_WORDS];
    // Followed by u16 requested_sizes[object_count], then the objects at object_offset.

    u16* requested_sizes() { return reinterpret_cast<u16*>(this + 1); }
    u8* object(unsigned index) {
        return reinterpret_cast<u8*>(this) + object_offset + usize(index) * object_size;
    }
    bool is_full() const { return free_count == 0; }
    bool is_empty() const { return free_count == object_count; }

    static bool test_bit(const u64* bits, unsigned index) {
        return (bits[index / 64] >> (index % 64)) & 1;
    }
    static void set_bit(u64* bits, unsigned index) { bits[index / 64] |= u64(1) << (index % 64); }
    static void clear_bit(u64* bits, unsigned index) {
        bits[index / 64] &= ~(u64(1) << (index % 64));
    }

    // Lowest object that is neither allocated nor quarantined; the slab must not be full. Bits
    // past object_count are clear in both maps but always above a real free object.
    unsigned first_free() const {
        for (unsigned word = 0; word < BITMAP_WORDS; ++word) {
            u64 available = ~(allocated[word] | quarantined[word]);
            if (available)
                return word * 64 + __builtin_ctzll(available);
        }
        return object_count;
    }

    // The geometry this heap gives a slab of `size_class`: the only one it accepts in a header.
    static SlabLayout layout(unsigned size_class);

    // Whether this header is one of owner's slabs with exactly the geometry of its class. The
    // page must be known to be owned by the page source before this is called.
    bool is_intact(const Heap* owner) const {
        if (magic != SLAB_MAGIC || this->owner != owner || size_class >= CLASS_COUNT)
            return false;
        SlabLayout expected = layout(size_class);
        return object_size == MIN_OBJECT_SIZE << size_class &&
               object_offset == expected.object_offset && object_count == expected.object_count;
    }

    // The slab of `owner` whose object starts at `pointer` (allocated or not), or nullptr.
    static Slab* find(const Heap* owner, const void* pointer, unsigned& index) {
        auto* slab = reinterpret_cast<Slab*>(page_of(pointer));
        // Nothing in the page is read before the page source says the page is the heap's.
        if (!owner->m_pages.owns(slab, HEAP_PAGE_SIZE) || !slab->is_intact(owner))
            return nullptr;
        usize offset = reinterpret_cast<uptr>(pointer) - reinterpret_cast<uptr>(slab);
        if (offset < slab->object_offset)
            return nullptr;
        offset -= slab->object_offset;
        if (offset % slab->object_size != 0 || offset / slab->object_size >= slab->object_count)
            return nullptr;
        index = static_cast<unsigned>(offset / slab->object_size);
        return slab;
    }
};

SlabLayout Heap::Slab::layout(unsigned size_class) {
    struct Table {
        SlabLayout of[CLASS_COUNT];
    };
    static constexpr Table table = [] {
        Table result{};
        for (unsigned i = 0; i < CLASS_COUNT; ++i)
            result.of[i] = slab_layout(sizeof(Slab), MIN_OBJECT_SIZE << i);
        return result;
    }();
    return table.of[size_class];
}

Heap::Slab* Heap::trusted_slab(const void* candidate, unsigned size_class) const {
    auto address = reinterpret_cast<uptr>(candidate);
    if (address == 0 || !nk::is_aligned(address, HEAP_PAGE_SIZE) ||
        !m_pages.owns(candidate, HEAP_PAGE_SIZE))
        return nullptr;
    auto* slab = reinterpret_cast<Slab*>(address);
    if (!slab->is_intact(this) || slab->size_class != size_class)
        return nullptr;
    return slab;
}

bool Heap::unlink(Slab* slab, Slab*& head) {
    Slab* prev = slab->prev;
    Slab* next = slab->next;
    if (prev ? (!trusted_slab(prev, slab->size_class) || prev->next != slab) : head != slab)
        return false;
    if (next && (!trusted_slab(next, slab->size_class) || next->prev != slab))
        return false;
    if (prev)
        prev->next = next;
    else
        head = next;
    if (next)
        next->prev = prev;
    slab->prev = slab->next = nullptr;
    return true;
}

bool Heap::push(Slab* slab, Slab*& head) {
    if (head && (head == slab || !trusted_slab(head, slab->size_class) || head->prev))
        return false;
    slab->prev = nullptr;
    slab->next = head;
    if (head)
        head->prev = slab;
    head = slab;
    return true;
}

// Always leaves `slab` alone on top of `to` with links of its own; false when a list had to be
// dropped to get there.
bool Heap::move(Slab* slab, Slab*& from, Slab*& to) {
    bool intact = true;
    if (!unlink(slab, from)) {
        (void)drop_list(from);
        intact = false;
    }
    if (!push(slab, to)) {
        (void)drop_list(to);
        (void)push(slab, to); // onto the now empty list: cannot fail
        intact = false;
    }
    return intact;
}

nk::Error Heap::drop_list(Slab*& head) {
    head = nullptr;
    ++m_stats.errors_detected;
    return nk::Error::Corrupt;
}

nk::Result<void*> Heap::allocate(usize size) {
    if (!m_classes_ready) {
        for (unsigned i = 0; i < CLASS_COUNT; ++i)
            m_classes[i] = SizeClass{MIN_OBJECT_SIZE << i, nullptr, nullptr};
        m_classes_ready = true;
    }
    if (size == 0)
        size = 1;
    if (size > MAX_SMALL_SIZE)
        return allocate_large(size);
    unsigned size_class = 0;
    while (m_classes[size_class].object_size < size)
        ++size_class;
    return allocate_small(size_class, size);
}

nk::Result<void*> Heap::allocate_small(unsigned size_class, usize size) {
    SizeClass& sc = m_classes[size_class];
    Slab* slab = sc.partial;
    // The head pointer is the heap's own, but the page behind it may have been rewritten (even
    // freed, through a forged large header) since it was stored.
    if (slab && (!trusted_slab(slab, size_class) || slab->prev))
        return drop_list(sc.partial);
    if (!slab) {
        void* page = TRY(m_pages.allocate_pages(0));
        SlabLayout layout = Slab::layout(size_class);
        slab = new (page) Slab{};
        slab->magic = SLAB_MAGIC;
        slab->object_size = static_cast<u16>(sc.object_size);
        slab->object_offset = layout.object_offset;
        slab->object_count = layout.object_count;
        slab->free_count = layout.object_count;
        slab->size_class = static_cast<u8>(size_class);
        slab->owner = this;
        __builtin_memset(slab->requested_sizes(), 0, layout.object_count * sizeof(u16));
        // Fresh objects are poisoned too, so that the check on hand-out needs no special case.
        poison(slab->object(0), usize(layout.object_count) * sc.object_size);
        (void)push(slab, sc.partial); // the list is empty
        ++m_slab_pages;
        m_stats.bytes_reserved += HEAP_PAGE_SIZE;
    }

    unsigned index = slab->first_free();
    if (index >= slab->object_count) // its count says there is room, its bitmaps say not
        return drop_list(sc.partial);
    u8* object = slab->object(index);
    --slab->free_count;
    if (slab->is_full() && !move(slab, sc.partial, sc.full))
        return nk::Error::Corrupt;
    if (!is_poisoned(object, sc.object_size)) {
        Slab::set_bit(slab->quarantined, index);
        ++slab->quarantined_count;
        ++m_stats.errors_detected;
        return nk::Error::Corrupt;
    }

    Slab::set_bit(slab->allocated, index);
    slab->requested_sizes()[index] = static_cast<u16>(size);
    m_stats.bytes_requested += size;
    ++m_stats.live_allocations;
    ++m_stats.total_allocations;
    return static_cast<void*>(object);
}

nk::Result<void*> Heap::allocate_large(usize size) {
    if (size > MAX_LARGE_SIZE)
        return nk::Error::NoMemory;
    unsigned order = 0;
    while (large_block_bytes(order) < size + LARGE_HEADER_BYTES)
        ++order;
    void* block = TRY(m_pages.allocate_pages(order));
    new (block) LargeHeader{LARGE_MAGIC, order, this, size, 0};
    m_stats.bytes_reserved += large_block_bytes(order);
    m_stats.bytes_requested += size;
    ++m_stats.live_allocations;
    ++m_stats.total_allocations;
    ++m_stats.large_allocations;
    return static_cast<void*>(static_cast<u8*>(block) + LARGE_HEADER_BYTES);
}

nk::ErrorOr Heap::free(void* pointer) {
    if (!is_plausible(pointer)) {
        ++m_stats.errors_detected;
        return nk::Error::Invalid;
    }

    unsigned index = 0;
    if (Slab* slab = Slab::find(this, pointer, index)) {
        if (!Slab::test_bit(slab->allocated, index)) {
            ++m_stats.errors_detected;
            return nk::Error::Invalid;
        }
        Slab::clear_bit(slab->allocated, index);
        u16& requested = slab->requested_sizes()[index];
        m_stats.bytes_requested -= requested;
        requested = 0;
        poison(slab->object(index), slab->object_size);
        SizeClass& sc = m_classes[slab->size_class];
        // A slab with damaged neighbours still frees the block: it is itself intact, and move()
        // leaves it alone on the partial list.
        bool intact = !slab->is_full() || move(slab, sc.full, sc.partial);
        ++slab->free_count;
        --m_stats.live_allocations;
        ++m_stats.total_frees;
        if (!intact)
            return nk::Error::Corrupt;
        return {};
    }

    bool damaged = false;
    if (auto* header = large_header_of(m_pages, this, pointer, damaged)) {
        unsigned order = header->order;
        m_stats.bytes_requested -= header->requested;
        m_stats.bytes_reserved -= large_block_bytes(order);
        --m_stats.live_allocations;
        --m_stats.large_allocations;
        ++m_stats.total_frees;
        header->magic = RETIRED_MAGIC;
        m_pages.free_pages(header, order);
        return {};
    }

    ++m_stats.errors_detected;
    return damaged ? nk::Error::Corrupt : nk::Error::Invalid;
}

usize Heap::usable_size(const void* pointer) const {
    if (!is_plausible(pointer))
        return 0;
    unsigned index = 0;
    if (Slab* slab = Slab::find(this, pointer, index))
        return Slab::test_bit(slab->allocated, index) ? slab->object_size : 0;
    bool damaged = false;
    if (const LargeHeader* header = large_header_of(m_pages, this, pointer, damaged))
        return large_block_bytes(header->order) - LARGE_HEADER_BYTES;
    return 0;
}

void Heap::trim() {
    for (unsigned size_class = 0; size_class < CLASS_COUNT; ++size_class) {
        SizeClass& sc = m_classes[size_class];
        usize budget = m_slab_pages; // an intact list holds at most every slab page
        Slab* slab = sc.partial;
        while (slab) {
            if (budget-- == 0 || !trusted_slab(slab, size_class)) {
                (void)drop_list(sc.partial);
                break;
            }
            Slab* next = slab->next; // checked by unlink(), or at the top of the next round
            // A quarantined object keeps free_count below object_count, so such slabs stay.
            if (slab->is_empty()) {
                if (!unlink(slab, sc.partial)) {
                    (void)drop_list(sc.partial);
                    break;
                }
                slab->magic = RETIRED_MAGIC;
                m_pages.free_pages(slab, 0);
                if (m_slab_pages > 0) // a forged slab page may have been linked in
                    --m_slab_pages;
                m_stats.bytes_reserved -= HEAP_PAGE_SIZE;
            }
            slab = next;
        }
    }
}

} // namespace kernel
