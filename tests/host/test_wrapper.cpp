// The generated wrappers of nooks/wrapper.h: each argument policy on its own, then the
// Wrapper<Name, Implementation, Checks...> template (checks in order, the first failure reported
// and the implementation skipped, the failure value by result type, the counters).
//
// The kernel services the header calls are host stand-ins defined below: KernelEntry counts how
// deep the test is "in the kernel", current_extension() is whatever the test set, and
// domain_range_ok() walks page by page (like the kernel's) over a per-extension list of pages the
// test maps readable or writable. wrapper_check_failed() records its calls and returns, which is
// the kernel's report-only mode (set_fail_extension_on_check(false)). The heap, the object
// tracker and their checks are the kernel's own code, and so is DomainHeapPages::owns(); the
// rest of DomainHeapPages (getting pages and mapping them into the domain) is a stand-in that
// takes host memory, maps it writable in the fake domain and really frees it when the heap gives
// it back, so that a stale read is one the sanitizers see.
#include <catch2/catch.hpp>

#include <kernel/memory/heap.h>
#include <nooks/wrapper.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using nk::u64;
using nk::u8;
using nk::usize;
using nooks::AtMost;
using nooks::DomainString;
using nooks::Extension;
using nooks::HeapPointerOrNull;
using nooks::ModuleCode;
using nooks::ObjectKind;
using nooks::OwnedHandle;
using nooks::TrackedObject;
using nooks::Unchecked;
using nooks::Wrapper;
using nooks::WritableOut;

namespace {

constexpr u64 PAGE = 4096;

// ---- Host stand-ins for the kernel side of a wrapper.

struct CheckFailureCall {
    Extension* extension;
    std::string function;
    unsigned argument;
    u64 value;
};

struct CountCall {
    nooks::FunctionCount* table;
    u64 key;
    const char* name;
};

struct RangeQuery {
    Extension* extension;
    u64 address;
    u64 length;
    bool write;
    int kernel_depth;
};

struct FakeRuntime {
    Extension* current = nullptr;
    // Per extension (its "domain"): page address -> writable.
    std::map<const Extension*, std::map<u64, bool>> domains;
    // Whose domain each (fake) ProtectionDomain is, for the DomainHeapPages stand-ins.
    std::map<const nooks::ProtectionDomain*, const Extension*> domain_owners;
    std::vector<CheckFailureCall> failures;
    std::vector<CountCall> counted;
    std::vector<RangeQuery> queries;
    int kernel_depth = 0;
    unsigned kernel_entries = 0;
};

FakeRuntime g_runtime;

void map_pages(const Extension& extension, const void* start, u64 bytes, bool writable) {
    auto address = reinterpret_cast<u64>(start);
    REQUIRE(address % PAGE == 0);
    REQUIRE(bytes % PAGE == 0);
    for (u64 offset = 0; offset < bytes; offset += PAGE)
        g_runtime.domains[&extension][address + offset] = writable;
}

void unmap_pages(const Extension& extension, const void* start, u64 bytes) {
    auto address = reinterpret_cast<u64>(start);
    for (u64 offset = 0; offset < bytes; offset += PAGE)
        g_runtime.domains[&extension].erase(address + offset);
}

// Resets the stand-ins for each test case, and again at its end.
struct RuntimeScope {
    RuntimeScope() { g_runtime = FakeRuntime{}; }
    ~RuntimeScope() { g_runtime = FakeRuntime{}; }
    RuntimeScope(const RuntimeScope&) = delete;
    RuntimeScope& operator=(const RuntimeScope&) = delete;
};

} // namespace

namespace nooks {

KernelEntry::KernelEntry() {
    ++g_runtime.kernel_depth;
    ++g_runtime.kernel_entries;
}

KernelEntry::~KernelEntry() {
    --g_runtime.kernel_depth;
}

Extension* current_extension() {
    return g_runtime.current;
}

void count_function_call(FunctionCount* table, nk::u64 key, const char* name) {
    g_runtime.counted.push_back({table, key, name});
}

void wrapper_check_failed(Extension& extension, const char* function, unsigned argument,
                          nk::u64 value) {
    ++extension.check_failures;
    g_runtime.failures.push_back({&extension, function, argument, value});
}

// Like the kernel's: empty ranges are fine, wrapping ranges are not, and every page touched must
// be mapped in the extension's domain (writable when `write`).
bool domain_range_ok(Extension& extension, nk::u64 address, nk::u64 length, bool write) {
    g_runtime.queries.push_back({&extension, address, length, write, g_runtime.kernel_depth});
    if (length == 0)
        return true;
    if (address + length < address)
        return false;
    const auto& pages = g_runtime.domains[&extension];
    u64 end = address + length;
    for (u64 page = address & ~(PAGE - 1);; page += PAGE) {
        auto found = pages.find(page);
        if (found == pages.end() || (write && !found->second))
            return false;
        if (end - page <= PAGE)
            return true;
    }
}

// ---- DomainHeapPages on the host: host memory instead of module-region pages, the fake
// domain instead of the page table. The block list (and so owns()) is the kernel's.

DomainHeapPages::~DomainHeapPages() {
    auto owner = g_runtime.domain_owners.find(&m_domain);
    while (Block* block = m_blocks.pop_front()) {
        auto* memory = reinterpret_cast<void*>(block->allocation.base);
        if (owner != g_runtime.domain_owners.end())
            unmap_pages(*owner->second, memory, block->allocation.pages * PAGE);
        std::free(memory);
        delete block;
    }
}

nk::Result<void*> DomainHeapPages::allocate_pages(unsigned order) {
    usize bytes = PAGE << order;
    void* memory = std::aligned_alloc(bytes, bytes);
    REQUIRE(memory != nullptr);
    std::memset(memory, 0xcc, bytes);
    auto* block = new Block{{}, {reinterpret_cast<u64>(memory), u64(1) << order}};
    m_blocks.push_back(*block);
    m_pages_held += block->allocation.pages;
    map_pages(*g_runtime.domain_owners.at(&m_domain), memory, bytes, true);
    return memory;
}

// Unmapped from the domain and given back to the host, like the kernel gives the pages back.
void DomainHeapPages::free_pages(void* pages, unsigned) {
    auto base = reinterpret_cast<u64>(pages);
    for (auto& block : m_blocks) {
        if (block.allocation.base != base)
            continue;
        m_blocks.remove(block);
        unmap_pages(*g_runtime.domain_owners.at(&m_domain), pages, block.allocation.pages * PAGE);
        m_pages_held -= block.allocation.pages;
        std::free(pages);
        delete &block;
        return;
    }
}

} // namespace nooks

namespace {

// ---- A test extension: a real ObjectTracker and a real kernel::Heap over DomainHeapPages whose
// pages are mapped writable in the extension's (fake) domain.

class TestExtension {
public:
    TestExtension(const char* name, u64 text_address)
        : m_extension(new Extension()), m_pages(domain()), m_heap(m_pages) {
        g_runtime.domain_owners[&domain()] = m_extension.get();
        std::snprintf(m_extension->name, sizeof m_extension->name, "%s", name);
        m_extension->mode = nooks::ExtensionMode::Isolated;
        m_extension->state = nooks::ExtensionState::Running;
        m_extension->module.text = {text_address, 3 * PAGE};
        m_extension->module.data = {text_address + 4 * PAGE, PAGE};
        m_extension->domain = &domain();
        m_extension->heap_pages = &m_pages;
        m_extension->heap = &m_heap;
    }
    TestExtension(const TestExtension&) = delete;
    TestExtension& operator=(const TestExtension&) = delete;

    Extension& operator*() { return *m_extension; }
    Extension* operator->() { return m_extension.get(); }
    Extension* get() { return m_extension.get(); }
    kernel::Heap& heap() { return m_heap; }
    nooks::DomainHeapPages& heap_pages() { return m_pages; }

private:
    // Stands for the extension's ProtectionDomain, which cannot be built on the host: only its
    // address is used (as the key of domain_owners), it is never read.
    nooks::ProtectionDomain& domain() {
        return *reinterpret_cast<nooks::ProtectionDomain*>(m_domain_storage);
    }

    std::unique_ptr<Extension> m_extension;
    alignas(
        nooks::ProtectionDomain) unsigned char m_domain_storage[sizeof(nooks::ProtectionDomain)];
    nooks::DomainHeapPages m_pages;
    kernel::Heap m_heap;
};

constexpr u64 TEXT_A = 0xffffffffc0000000ull;
constexpr u64 TEXT_B = 0xffffffffc0100000ull;

// Six host pages for strings and out-parameters, mapped into a domain as
//   0: writable   1: writable   2: read-only   3: not mapped (host-readable)
//   4: read-only  5: not mapped, and not accessible on the host either (PROT_NONE): a check that
//                    reads it before asking the domain crashes the test.
class Arena {
public:
    static constexpr unsigned PAGES = 6;

    Arena() {
        REQUIRE(sysconf(_SC_PAGESIZE) == long(PAGE));
        void* memory =
            mmap(nullptr, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(memory != MAP_FAILED);
        m_base = static_cast<u8*>(memory);
        std::memset(m_base, 'x', 5 * PAGE);
        REQUIRE(mprotect(page(5), PAGE, PROT_NONE) == 0);
    }
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
    ~Arena() { munmap(m_base, PAGES * PAGE); }

    u8* page(unsigned index) { return m_base + index * PAGE; }
    void map_into(const Extension& extension) {
        map_pages(extension, page(0), 2 * PAGE, true);
        map_pages(extension, page(2), PAGE, false);
        map_pages(extension, page(4), PAGE, false);
    }

private:
    u8* m_base;
};

// Writes `text` (with its NUL) `before_end` bytes before the end of page `index`.
char* put_string(Arena& arena, unsigned index, usize before_end, const char* text) {
    char* at = reinterpret_cast<char*>(arena.page(index) + PAGE - before_end);
    std::memcpy(at, text, std::strlen(text) + 1);
    return at;
}

template <typename T>
T from_address(u64 address) {
    return reinterpret_cast<T>(static_cast<std::uintptr_t>(address));
}

using Callback = void (*)(void*);

// A tracked handle as the isolated API hands them out: a record starting with its TrackedObject.
struct HandleRecord {
    TrackedObject tracked;
    int releases = 0;
};

void count_release(TrackedObject& object) {
    ++reinterpret_cast<HandleRecord*>(&object)->releases;
}

HandleRecord* make_record(ObjectKind kind) {
    auto* record = new HandleRecord{};
    record->tracked.kind = kind;
    record->tracked.release = count_release;
    return record;
}

template <typename Handle>
Handle handle_of(HandleRecord& record) {
    return reinterpret_cast<Handle>(&record.tracked);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Each policy alone.

TEST_CASE("wrapper policy Unchecked accepts any value", "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    CHECK(Unchecked::check(*a, 0));
    CHECK(Unchecked::check(*a, ~0ull));
    CHECK(Unchecked::check(*a, static_cast<void*>(nullptr)));
    CHECK(Unchecked::check(*a, from_address<void*>(0xdeadbeef)));
    CHECK(g_runtime.queries.empty());
}

TEST_CASE("wrapper policy AtMost: Max is accepted, Max + 1 and huge values are refused",
          "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    CHECK(AtMost<15>::check(*a, 0u));
    CHECK(AtMost<15>::check(*a, 15u));
    CHECK_FALSE(AtMost<15>::check(*a, 16u));
    CHECK_FALSE(AtMost<15>::check(*a, ~0u));
    CHECK_FALSE(AtMost<15>::check(*a, ~0ull));
    CHECK_FALSE(AtMost<15>::check(*a, 1ull << 32 | 1)); // not truncated to 32 bits
    // A negative count is a huge unsigned one, not a small one.
    CHECK_FALSE(AtMost<15>::check(*a, -1));
    CHECK_FALSE(AtMost<15>::check(*a, static_cast<long>(-16)));

    constexpr u64 MAX_ALLOCATION = 4ull << 20; // nk_malloc's limit
    CHECK(AtMost<MAX_ALLOCATION>::check(*a, std::size_t(MAX_ALLOCATION)));
    CHECK_FALSE(AtMost<MAX_ALLOCATION>::check(*a, std::size_t(MAX_ALLOCATION + 1)));
    CHECK_FALSE(AtMost<MAX_ALLOCATION>::check(*a, SIZE_MAX));

    CHECK(AtMost<0>::check(*a, 0));
    CHECK_FALSE(AtMost<0>::check(*a, 1));
    CHECK(AtMost<~0ull>::check(*a, ~0ull));
    CHECK(AtMost<255>::check(*a, std::uint8_t(255)));
    CHECK(g_runtime.queries.empty());
}

TEST_CASE("wrapper policy WritableOut: all Size bytes writable in the extension's domain",
          "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    Arena arena;
    arena.map_into(*a);
    using Out8 = WritableOut<8>;

    SECTION("asks the domain about Size bytes, for writing") {
        u8* out = arena.page(0) + 64;
        CHECK(Out8::check(*a, out));
        REQUIRE(g_runtime.queries.size() == 1);
        CHECK(g_runtime.queries[0].extension == a.get());
        CHECK(g_runtime.queries[0].address == reinterpret_cast<u64>(out));
        CHECK(g_runtime.queries[0].length == 8);
        CHECK(g_runtime.queries[0].write);
        CHECK(WritableOut<40>::check(*a, arena.page(0)));
        CHECK(g_runtime.queries.back().length == 40);
    }
    SECTION("inside writable pages") {
        CHECK(Out8::check(*a, arena.page(0)));
        CHECK(Out8::check(*a, arena.page(0) + PAGE - 8)); // ends exactly at the page end
        CHECK(Out8::check(*a, arena.page(0) + PAGE - 4)); // straddles two writable pages
        CHECK(Out8::check(*a, arena.page(1) + PAGE - 8)); // ends exactly where writable ends
    }
    SECTION("straddling the end of the writable range") {
        CHECK_FALSE(Out8::check(*a, arena.page(1) + PAGE - 7)); // last byte read-only
        CHECK_FALSE(Out8::check(*a, arena.page(1) + PAGE - 1));
    }
    SECTION("read-only or unmapped pages") {
        CHECK_FALSE(Out8::check(*a, arena.page(2)));
        CHECK_FALSE(Out8::check(*a, arena.page(2) + PAGE - 8));
        CHECK_FALSE(Out8::check(*a, arena.page(3)));
        CHECK_FALSE(Out8::check(*a, arena.page(5)));
        CHECK_FALSE(Out8::check(*a, static_cast<void*>(nullptr)));
        CHECK_FALSE(Out8::check(*a, from_address<u64*>(~0ull - 3))); // wraps around
    }
    SECTION("another extension's domain is its own") {
        CHECK(Out8::check(*a, arena.page(0)));
        CHECK_FALSE(Out8::check(*b, arena.page(0)));
        CHECK(g_runtime.queries.back().extension == b.get());
    }
}

TEST_CASE("wrapper policy DomainString: NUL within Max bytes of readable domain memory",
          "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    Arena arena;
    arena.map_into(*a);
    using String16 = DomainString<16>;

    SECTION("terminated inside one page: one question to the domain, for reading") {
        char* text = put_string(arena, 0, 100, "hello");
        CHECK(String16::check(*a, text));
        REQUIRE(g_runtime.queries.size() == 1);
        CHECK(g_runtime.queries[0].address == reinterpret_cast<u64>(text));
        CHECK(g_runtime.queries[0].length == 1);
        CHECK_FALSE(g_runtime.queries[0].write);
        CHECK(String16::check(*a, put_string(arena, 0, 200, "")));
    }
    SECTION("read-only memory is enough") {
        CHECK(String16::check(*a, put_string(arena, 2, 100, "constant")));
        CHECK(String16::check(*a, put_string(arena, 4, 100, "constant")));
    }
    SECTION("Max bytes counts the NUL") {
        CHECK(String16::check(*a, put_string(arena, 0, 100, "0123456789abcde")));        // 15 + NUL
        CHECK_FALSE(String16::check(*a, put_string(arena, 0, 100, "0123456789abcdef"))); // 16
        char* unterminated = reinterpret_cast<char*>(arena.page(0) + 300);
        std::memset(unterminated, 'y', 40);
        CHECK_FALSE(String16::check(*a, unterminated));
        // 256, as nk_log uses it: a 255-character message is fine, a 256-character one is not.
        std::string message(255, 'm');
        CHECK(DomainString<256>::check(*a, put_string(arena, 1, 1000, message.c_str())));
        message += 'm';
        CHECK_FALSE(DomainString<256>::check(*a, put_string(arena, 1, 1000, message.c_str())));
    }
    SECTION("crossing into another mapped page asks about that page too") {
        char* text = put_string(arena, 0, 4, "abcdefgh");
        CHECK(String16::check(*a, text));
        REQUIRE(g_runtime.queries.size() == 2);
        CHECK(g_runtime.queries[1].address == reinterpret_cast<u64>(arena.page(1)));
        // Writable into read-only: still readable.
        CHECK(String16::check(*a, put_string(arena, 1, 3, "abcdefgh")));
    }
    SECTION("crossing into an unmapped page is refused, even with a NUL there") {
        char* text = put_string(arena, 2, 4, "abcdefgh"); // NUL lands in page 3
        CHECK_FALSE(String16::check(*a, text));
        // Page 5 cannot be read at all: the check must ask the domain before touching it.
        char* edge = reinterpret_cast<char*>(arena.page(5)) - 4;
        std::memcpy(edge, "abcd", 4);
        CHECK_FALSE(String16::check(*a, edge));
    }
    SECTION("starting in an unmapped page, or null") {
        CHECK_FALSE(String16::check(*a, put_string(arena, 3, 100, "hidden")));
        CHECK_FALSE(String16::check(*a, reinterpret_cast<const char*>(arena.page(5))));
        CHECK_FALSE(String16::check(*a, static_cast<const char*>(nullptr)));
    }
}

TEST_CASE("wrapper policy ModuleCode: inside the extension's own text", "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    const u64 end = TEXT_A + a->module.text.size;
    CHECK(ModuleCode::check(*a, from_address<Callback>(TEXT_A)));
    CHECK(ModuleCode::check(*a, from_address<Callback>(TEXT_A + 0x123)));
    CHECK(ModuleCode::check(*a, from_address<Callback>(end - 1)));
    CHECK_FALSE(ModuleCode::check(*a, from_address<Callback>(end))); // one past the end
    CHECK_FALSE(ModuleCode::check(*a, from_address<Callback>(TEXT_A - 1)));
    CHECK_FALSE(ModuleCode::check(*a, from_address<Callback>(a->module.data.address)));
    CHECK_FALSE(ModuleCode::check(*a, static_cast<Callback>(nullptr)));
    CHECK_FALSE(ModuleCode::check(*a, from_address<Callback>(~0ull)));
    // Another extension's code is not a callback this one may register.
    CHECK_FALSE(ModuleCode::check(*a, from_address<Callback>(TEXT_B)));
    CHECK(ModuleCode::check(*b, from_address<Callback>(TEXT_B)));
    // A module without text has no valid callback.
    a->module.text.size = 0;
    CHECK_FALSE(ModuleCode::check(*a, from_address<Callback>(TEXT_A)));
}

TEST_CASE("wrapper policy HeapPointerOrNull: null, or a live block of the extension's own heap",
          "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    auto small = a.heap().allocate(64);
    auto large = a.heap().allocate(3 * PAGE);
    REQUIRE(small.has_value());
    REQUIRE(large.has_value());
    auto* small_block = static_cast<u8*>(small.value());
    auto* large_block = static_cast<u8*>(large.value());

    SECTION("null without asking anything") {
        CHECK(HeapPointerOrNull::check(*a, nullptr));
        CHECK(g_runtime.queries.empty());
    }
    SECTION("live small and large blocks") {
        CHECK(HeapPointerOrNull::check(*a, small_block));
        CHECK(g_runtime.queries.back().write);
        CHECK(HeapPointerOrNull::check(*a, large_block));
    }
    SECTION("interior and misaligned pointers") {
        CHECK_FALSE(HeapPointerOrNull::check(*a, small_block + 16));
        CHECK_FALSE(HeapPointerOrNull::check(*a, small_block + 1));
        CHECK_FALSE(HeapPointerOrNull::check(*a, large_block + 16));
        CHECK_FALSE(HeapPointerOrNull::check(*a, large_block + PAGE)); // its second page
    }
    SECTION("freed blocks") {
        REQUIRE(a.heap().free(small_block).has_value());
        REQUIRE(a.heap().free(large_block).has_value());
        CHECK_FALSE(HeapPointerOrNull::check(*a, small_block));
        CHECK_FALSE(HeapPointerOrNull::check(*a, large_block));
        // Refusing is not an error the heap has to count.
        CHECK(a.heap().stats().errors_detected == 0);
    }
    SECTION("pointers outside the heap") {
        Arena arena;
        arena.map_into(*a);
        std::memset(arena.page(0), 0, PAGE);
        CHECK_FALSE(HeapPointerOrNull::check(*a, arena.page(0) + 64)); // writable, not heap
        CHECK_FALSE(HeapPointerOrNull::check(*a, arena.page(2) + 64)); // read-only
        // Not in the domain: refused before the heap reads the page header (page 5 would
        // crash the test).
        CHECK_FALSE(HeapPointerOrNull::check(*a, arena.page(5) + 64));
        int on_the_stack = 0;
        CHECK_FALSE(HeapPointerOrNull::check(*a, &on_the_stack));
    }
    SECTION("writable domain memory that is not the heap: nk_ioremap registers") {
        Arena arena;
        // Device registers are mapped writable in the domain. The host cannot read this page at
        // all, so the heap reading it in search of a header would crash the test.
        map_pages(*a, arena.page(5), PAGE, true);
        CHECK_FALSE(HeapPointerOrNull::check(*a, arena.page(5) + 32));
        CHECK_FALSE(HeapPointerOrNull::check(*a, arena.page(5) + 64));
        CHECK_FALSE(HeapPointerOrNull::check(*a, arena.page(5) + PAGE - 16));
        // Refused on the heap pages' word alone, before the domain is even asked.
        CHECK(g_runtime.queries.empty());
        CHECK(a.heap().stats().errors_detected == 0);
    }
    SECTION("an exact copy of a live block's page, in writable memory outside the heap") {
        Arena arena;
        arena.map_into(*a);
        auto* page = reinterpret_cast<u8*>(reinterpret_cast<u64>(small_block) & ~(PAGE - 1));
        std::memcpy(arena.page(0), page, PAGE);
        u8* copy = arena.page(0) + (small_block - page);
        CHECK_FALSE(HeapPointerOrNull::check(*a, copy));
        // The heap, asked directly, refuses it as well: it asks its page source first too.
        CHECK(a.heap().usable_size(copy) == 0);
        CHECK(HeapPointerOrNull::check(*a, small_block));
    }
    SECTION("a live heap block the domain does not map writable") {
        map_pages(*a, reinterpret_cast<void*>(reinterpret_cast<u64>(small_block) & ~(PAGE - 1)),
                  PAGE, false);
        CHECK_FALSE(HeapPointerOrNull::check(*a, small_block));
        unmap_pages(*a, reinterpret_cast<void*>(reinterpret_cast<u64>(small_block) & ~(PAGE - 1)),
                    PAGE);
        CHECK_FALSE(HeapPointerOrNull::check(*a, small_block));
    }
    SECTION("another extension's block") {
        auto other = b.heap().allocate(64);
        REQUIRE(other.has_value());
        CHECK(HeapPointerOrNull::check(*b, other.value()));
        CHECK_FALSE(HeapPointerOrNull::check(*a, other.value()));
        // Even if a's domain could write that page, the block is not a's heap's.
        map_pages(*a, reinterpret_cast<void*>(reinterpret_cast<u64>(other.value()) & ~(PAGE - 1)),
                  PAGE, true);
        CHECK_FALSE(HeapPointerOrNull::check(*a, other.value()));
        CHECK_FALSE(HeapPointerOrNull::check(*b, small_block));
    }
}

TEST_CASE("DomainHeapPages::owns: ranges inside one block it holds", "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    auto& pages = a.heap_pages();
    CHECK_FALSE(pages.owns(nullptr, 1));      // no blocks yet
    auto large = a.heap().allocate(3 * PAGE); // with its header: a block of 4 pages
    auto small = a.heap().allocate(64);
    REQUIRE(large.has_value());
    REQUIRE(small.has_value());
    CHECK(pages.pages_held() == 5);
    auto* base = reinterpret_cast<u8*>(reinterpret_cast<u64>(large.value()) & ~(PAGE - 1));

    CHECK(pages.owns(base, 1));
    CHECK(pages.owns(base, 4 * PAGE));
    CHECK(pages.owns(base + 4 * PAGE - 1, 1));
    CHECK(pages.owns(base + PAGE, 0));
    CHECK(pages.owns(small.value(), 64));
    CHECK_FALSE(pages.owns(base, 4 * PAGE + 1));
    CHECK_FALSE(pages.owns(base - 1, 2));
    // Inside one block: a range running from one block into whatever follows is not owned,
    // even if that happens to be another block.
    CHECK_FALSE(pages.owns(base + 4 * PAGE - 8, 16));
    CHECK_FALSE(pages.owns(base + 8, ~u64(0))); // length wrapping around
    CHECK_FALSE(pages.owns(from_address<void*>(~u64(0) - 3), 8));
    int on_the_stack = 0;
    CHECK_FALSE(pages.owns(&on_the_stack, 1));

    // Another extension's heap pages are not a's.
    auto other = b.heap().allocate(64);
    REQUIRE(other.has_value());
    CHECK(b.heap_pages().owns(other.value(), 1));
    CHECK_FALSE(pages.owns(other.value(), 1));
    CHECK_FALSE(b.heap_pages().owns(small.value(), 1));

    // Blocks given back are no longer owned.
    REQUIRE(a.heap().free(large.value()).has_value());
    CHECK_FALSE(pages.owns(large.value(), 1));
    CHECK(pages.owns(small.value(), 1));
    CHECK(pages.pages_held() == 1);
}

TEST_CASE("wrapper policy OwnedHandle: a live handle of that kind the extension holds",
          "[wrapper]") {
    RuntimeScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    std::unique_ptr<HandleRecord> timer(make_record(ObjectKind::Timer));
    std::unique_ptr<HandleRecord> irq(make_record(ObjectKind::Irq));
    std::unique_ptr<HandleRecord> b_timer(make_record(ObjectKind::Timer));
    a->tracker.add(timer->tracked);
    a->tracker.add(irq->tracked);
    b->tracker.add(b_timer->tracked);
    using OwnedTimer = OwnedHandle<ObjectKind::Timer>;
    using OwnedIrq = OwnedHandle<ObjectKind::Irq>;

    CHECK(OwnedTimer::check(*a, handle_of<nk_timer_handle>(*timer)));
    CHECK(OwnedIrq::check(*a, handle_of<nk_irq_handle>(*irq)));
    // The wrong kind: an IRQ handle passed to nk_timer_cancel and the other way round.
    CHECK_FALSE(OwnedTimer::check(*a, handle_of<nk_timer_handle>(*irq)));
    CHECK_FALSE(OwnedIrq::check(*a, handle_of<nk_irq_handle>(*timer)));
    // Another extension's handle.
    CHECK_FALSE(OwnedTimer::check(*a, handle_of<nk_timer_handle>(*b_timer)));
    CHECK(OwnedTimer::check(*b, handle_of<nk_timer_handle>(*b_timer)));
    // Garbage: owns() compares addresses and never reads through the handle (page 5 of the
    // arena cannot be read on the host).
    Arena arena;
    CHECK_FALSE(OwnedTimer::check(*a, static_cast<nk_timer_handle>(nullptr)));
    CHECK_FALSE(OwnedTimer::check(*a, reinterpret_cast<nk_timer_handle>(arena.page(5))));
    CHECK_FALSE(OwnedTimer::check(*a, from_address<nk_timer_handle>(0xdead0000)));
    CHECK_FALSE(OwnedTimer::check(*a, from_address<nk_timer_handle>(~0ull)));
    CHECK(g_runtime.queries.empty());
    // Released: no longer the extension's.
    a->tracker.release(timer->tracked);
    CHECK(timer->releases == 1);
    CHECK_FALSE(OwnedTimer::check(*a, handle_of<nk_timer_handle>(*timer)));
    CHECK(OwnedIrq::check(*a, handle_of<nk_irq_handle>(*irq)));
    a->tracker.remove(irq->tracked);
    b->tracker.remove(b_timer->tracked);
}

// ---------------------------------------------------------------------------------------------
// The generated Wrapper.

namespace {

// What the last implementation call saw.
struct ImplementationCalls {
    unsigned calls = 0;
    Extension* extension = nullptr;
    std::vector<u64> arguments;
    int kernel_depth = -1;
};
ImplementationCalls g_implementation;

void record_call(Extension& extension, std::vector<u64> arguments) {
    ++g_implementation.calls;
    g_implementation.extension = &extension;
    g_implementation.arguments = std::move(arguments);
    g_implementation.kernel_depth = g_runtime.kernel_depth;
}

// Which checks ran, in order: a policy wrapped so the test sees it evaluated.
std::vector<unsigned> g_evaluated;

template <unsigned Slot, typename Policy>
struct Spy {
    template <typename T>
    static bool check(Extension& extension, T value) {
        g_evaluated.push_back(Slot);
        return Policy::check(extension, value);
    }
};

struct WrapperScope : RuntimeScope {
    WrapperScope() {
        g_implementation = ImplementationCalls{};
        g_evaluated.clear();
    }
};

// Shaped like nk_request_irq: a bounded number, a callback, a string, an out-parameter.
long four_arguments(Extension& extension, unsigned line, Callback callback, const char* label,
                    int* out) {
    record_call(extension, {line, reinterpret_cast<u64>(callback), reinterpret_cast<u64>(label),
                            reinterpret_cast<u64>(out)});
    *out = 7;
    return 1000 + long(line);
}
using FourArguments =
    Wrapper<"nk_test_four", four_arguments, Spy<0, AtMost<15>>, Spy<1, ModuleCode>,
            Spy<2, DomainString<16>>, Spy<3, WritableOut<sizeof(int)>>>;

u8 g_allocation[64];
void* allocate(Extension& extension, std::size_t size) {
    record_call(extension, {size});
    return g_allocation;
}
using Allocate = Wrapper<"nk_test_allocate", allocate, AtMost<4096>>;

volatile void* map_registers(Extension& extension, std::uint64_t phys, std::size_t size) {
    record_call(extension, {phys, size});
    return g_allocation;
}
using MapRegisters = Wrapper<"nk_test_map", map_registers, Unchecked, AtMost<16ull << 20>>;

void release(Extension& extension, void* pointer) {
    record_call(extension, {reinterpret_cast<u64>(pointer)});
}
using Release = Wrapper<"nk_test_release", release, HeapPointerOrNull>;

std::uint8_t read_port(Extension& extension, std::uint16_t port) {
    record_call(extension, {port});
    return 0xab;
}
using ReadPort = Wrapper<"nk_test_inb", read_port, AtMost<0x3ff>>;

std::uint64_t scaled(Extension& extension, std::uint64_t value) {
    record_call(extension, {value});
    return value * 2 + 1;
}
using Scaled = Wrapper<"nk_test_scaled", scaled, AtMost<1000>>;

std::uint64_t no_arguments(Extension& extension) {
    record_call(extension, {});
    return 123456789;
}
using NoArguments = Wrapper<"nk_test_none", no_arguments>;

// nk_free and nk_timer_cancel as isolated_api.cpp declares them, with the same implementations.
void heap_free(Extension& extension, void* pointer) {
    record_call(extension, {reinterpret_cast<u64>(pointer)});
    if (pointer)
        (void)extension.heap->free(pointer);
}
using HeapFree = Wrapper<"nk_free", heap_free, HeapPointerOrNull>;

void timer_cancel(Extension& extension, nk_timer_handle handle) {
    record_call(extension, {reinterpret_cast<u64>(handle)});
    extension.tracker.release(*reinterpret_cast<TrackedObject*>(handle));
}
using TimerCancel = Wrapper<"nk_timer_cancel", timer_cancel, OwnedHandle<ObjectKind::Timer>>;

void some_callback(void*) {}

} // namespace

TEST_CASE("Wrapper: with every check passing, the implementation gets the extension and the "
          "arguments, and its result is returned",
          "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    Arena arena;
    arena.map_into(*a);
    a->module.text = {reinterpret_cast<u64>(&some_callback), 1};
    const char* label = put_string(arena, 2, 100, "eth0");
    int* out = reinterpret_cast<int*>(arena.page(0) + 16);
    g_runtime.current = a.get();

    long result = FourArguments::entry(15, some_callback, label, out);
    CHECK(result == 1015);
    CHECK(*out == 7);
    REQUIRE(g_implementation.calls == 1);
    CHECK(g_implementation.extension == a.get());
    CHECK(g_implementation.arguments == std::vector<u64>{15, reinterpret_cast<u64>(&some_callback),
                                                         reinterpret_cast<u64>(label),
                                                         reinterpret_cast<u64>(out)});
    CHECK(g_evaluated == std::vector<unsigned>{0, 1, 2, 3});
    CHECK(g_runtime.failures.empty());
    CHECK(a->check_failures == 0);
    // Checks and implementation both run in the kernel (KernelEntry), which is left afterwards.
    CHECK(g_implementation.kernel_depth == 1);
    REQUIRE_FALSE(g_runtime.queries.empty());
    for (const auto& query : g_runtime.queries) {
        CHECK(query.kernel_depth == 1);
        CHECK(query.extension == a.get());
    }
    CHECK(g_runtime.kernel_entries == 1);
    CHECK(g_runtime.kernel_depth == 0);

    CHECK(Allocate::entry(4096) == static_cast<void*>(g_allocation));
    CHECK(MapRegisters::entry(0xfebc0000, 16ull << 20) == g_allocation);
    CHECK(ReadPort::entry(0x3ff) == 0xab);
    CHECK(Scaled::entry(1000) == 2001);
    CHECK(NoArguments::entry() == 123456789);
    CHECK(g_implementation.arguments.empty());
    CHECK(g_implementation.calls == 6);
    CHECK(g_runtime.failures.empty());
    CHECK(g_runtime.kernel_depth == 0);
}

TEST_CASE("Wrapper: a failed check skips the implementation and reports the function and the "
          "argument",
          "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    Arena arena;
    arena.map_into(*a);
    a->module.text = {reinterpret_cast<u64>(&some_callback), 1};
    g_runtime.current = a.get();

    unsigned line = 3;
    Callback callback = some_callback;
    const char* label = put_string(arena, 0, 100, "label");
    int* out = reinterpret_cast<int*>(arena.page(1));
    *out = -5;
    unsigned bad = 0;
    u64 bad_value = 0;
    SECTION("argument 0: over its limit") {
        bad = 0;
        line = 16;
        bad_value = 16;
    }
    SECTION("argument 1: not the module's code") {
        bad = 1;
        callback = from_address<Callback>(0xffffffff81000000ull);
        bad_value = 0xffffffff81000000ull;
    }
    SECTION("argument 2: a string that is not in the domain") {
        bad = 2;
        label = put_string(arena, 3, 100, "label");
        bad_value = reinterpret_cast<u64>(label);
    }
    SECTION("argument 3: an out-parameter in read-only memory") {
        bad = 3;
        out = reinterpret_cast<int*>(arena.page(2));
        bad_value = reinterpret_cast<u64>(out);
    }

    long result = FourArguments::entry(line, callback, label, out);
    CHECK(result == -long(nk::Error::Invalid));
    CHECK(result == -NK_EINVAL);
    CHECK(g_implementation.calls == 0);
    if (bad != 3)
        CHECK(*out == -5);
    REQUIRE(g_runtime.failures.size() == 1);
    CHECK(g_runtime.failures[0].extension == a.get());
    CHECK(g_runtime.failures[0].function == "nk_test_four");
    CHECK(g_runtime.failures[0].argument == bad);
    CHECK(g_runtime.failures[0].value == bad_value);
    // Checked left to right up to the failing one; nothing after it.
    std::vector<unsigned> expected;
    for (unsigned slot = 0; slot <= bad; ++slot)
        expected.push_back(slot);
    CHECK(g_evaluated == expected);
    CHECK(a->wrapper_calls == 1);
    CHECK(g_runtime.kernel_depth == 0);
}

TEST_CASE("Wrapper: checks stop at the first failing argument", "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    Arena arena;
    arena.map_into(*a);
    a->module.text = {reinterpret_cast<u64>(&some_callback), 1};
    g_runtime.current = a.get();

    // Arguments 1 and 3 are both bad; 2 is a string in a page the host cannot read, so
    // evaluating it after the first failure would crash.
    auto callback = from_address<Callback>(0x1000);
    auto* label = reinterpret_cast<const char*>(arena.page(5));
    auto* out = reinterpret_cast<int*>(arena.page(2));
    CHECK(FourArguments::entry(1, callback, label, out) == -NK_EINVAL);
    CHECK(g_evaluated == std::vector<unsigned>{0, 1});
    REQUIRE(g_runtime.failures.size() == 1);
    CHECK(g_runtime.failures[0].argument == 1);
    CHECK(g_runtime.failures[0].value == 0x1000);
    CHECK(g_implementation.calls == 0);
    // The very first check failing: nothing else evaluated at all.
    g_evaluated.clear();
    CHECK(FourArguments::entry(~0u, callback, label, out) == -NK_EINVAL);
    CHECK(g_evaluated == std::vector<unsigned>{0});
    REQUIRE(g_runtime.failures.size() == 2);
    CHECK(g_runtime.failures[1].argument == 0);
    CHECK(g_runtime.failures[1].value == 0xffffffffull);
    CHECK(g_implementation.calls == 0);
}

TEST_CASE("Wrapper: the value a refused call returns depends on the result type", "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    g_runtime.current = a.get();
    int not_heap = 0;

    CHECK(Allocate::entry(4097) == nullptr);
    CHECK(MapRegisters::entry(0xfebc0000, (16ull << 20) + 1) == nullptr);
    CHECK(ReadPort::entry(0x400) == 0);
    CHECK(Scaled::entry(1001) == 0);
    Release::entry(&not_heap); // void: nothing to return, and nothing called
    CHECK(g_implementation.calls == 0);
    REQUIRE(g_runtime.failures.size() == 5);
    CHECK(g_runtime.failures[0].function == "nk_test_allocate");
    CHECK(g_runtime.failures[0].value == 4097);
    CHECK(g_runtime.failures[1].function == "nk_test_map");
    CHECK(g_runtime.failures[1].argument == 1);
    CHECK(g_runtime.failures[2].function == "nk_test_inb");
    CHECK(g_runtime.failures[2].value == 0x400);
    CHECK(g_runtime.failures[3].function == "nk_test_scaled");
    CHECK(g_runtime.failures[4].function == "nk_test_release");
    CHECK(g_runtime.failures[4].argument == 0);
    CHECK(g_runtime.failures[4].value == reinterpret_cast<u64>(&not_heap));
    for (const auto& failure : g_runtime.failures)
        CHECK(failure.extension == a.get());
}

TEST_CASE("Wrapper: every call is counted, refused or not, against the calling extension",
          "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    g_runtime.current = a.get();

    CHECK(Allocate::entry(16) != nullptr);
    CHECK(Allocate::entry(5000) == nullptr);
    CHECK(Scaled::entry(1) == 3);
    CHECK(a->wrapper_calls == 3);
    CHECK(b->wrapper_calls == 0);
    CHECK(g_runtime.kernel_entries == 3);
    REQUIRE(g_runtime.counted.size() == 3);
    for (const auto& count : g_runtime.counted)
        CHECK(count.table == a->import_calls);
    // Imports are counted by name: the key is the name's address, the same on every call.
    CHECK(std::string(g_runtime.counted[0].name) == "nk_test_allocate");
    CHECK(g_runtime.counted[0].key == reinterpret_cast<u64>(g_runtime.counted[0].name));
    CHECK(g_runtime.counted[1].key == g_runtime.counted[0].key);
    CHECK(std::string(g_runtime.counted[2].name) == "nk_test_scaled");
    CHECK(g_runtime.counted[2].key != g_runtime.counted[0].key);

    g_runtime.current = b.get();
    CHECK(NoArguments::entry() == 123456789);
    CHECK(g_implementation.extension == b.get());
    CHECK(b->wrapper_calls == 1);
    CHECK(a->wrapper_calls == 3);
    CHECK(g_runtime.counted.back().table == b->import_calls);
    CHECK(std::string(g_runtime.counted.back().name) == "nk_test_none");
}

TEST_CASE("Wrapper: the checks are the calling extension's", "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    std::unique_ptr<HandleRecord> a_timer(make_record(ObjectKind::Timer));
    a->tracker.add(a_timer->tracked);
    auto handle = handle_of<nk_timer_handle>(*a_timer);

    // b passing a's handle: refused against b, a's timer untouched.
    g_runtime.current = b.get();
    TimerCancel::entry(handle);
    CHECK(g_implementation.calls == 0);
    CHECK(a_timer->releases == 0);
    REQUIRE(g_runtime.failures.size() == 1);
    CHECK(g_runtime.failures[0].extension == b.get());
    CHECK(g_runtime.failures[0].function == "nk_timer_cancel");
    CHECK(g_runtime.failures[0].value == reinterpret_cast<u64>(handle));
    CHECK(a->tracker.owns(&a_timer->tracked, ObjectKind::Timer));

    // a cancelling its own timer: released once; a second cancel is refused.
    g_runtime.current = a.get();
    TimerCancel::entry(handle);
    CHECK(g_implementation.calls == 1);
    CHECK(g_implementation.extension == a.get());
    CHECK(a_timer->releases == 1);
    CHECK(a->tracker.total() == 0);
    TimerCancel::entry(handle);
    CHECK(g_implementation.calls == 1);
    CHECK(a_timer->releases == 1);
    REQUIRE(g_runtime.failures.size() == 2);
    CHECK(g_runtime.failures[1].extension == a.get());
    CHECK(a->wrapper_calls == 2);
    CHECK(b->wrapper_calls == 1);
}

TEST_CASE("Wrapper: nk_free keeps double, foreign and interior frees away from the heap",
          "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    TestExtension b("b", TEXT_B);
    g_runtime.current = a.get();
    auto block = a.heap().allocate(100);
    auto other = b.heap().allocate(100);
    REQUIRE(block.has_value());
    REQUIRE(other.has_value());

    HeapFree::entry(nullptr); // allowed, and a no-op
    CHECK(g_implementation.calls == 1);
    HeapFree::entry(block.value());
    CHECK(g_implementation.calls == 2);
    CHECK(a.heap().stats().live_allocations == 0);
    CHECK(a.heap().stats().total_frees == 1);

    HeapFree::entry(block.value());                        // double free
    HeapFree::entry(other.value());                        // b's block
    HeapFree::entry(static_cast<u8*>(other.value()) + 16); // interior of b's
    CHECK(g_implementation.calls == 2);
    REQUIRE(g_runtime.failures.size() == 3);
    for (const auto& failure : g_runtime.failures) {
        CHECK(failure.function == "nk_free");
        CHECK(failure.argument == 0);
    }
    // The heaps never saw the bad frees.
    CHECK(a.heap().stats().errors_detected == 0);
    CHECK(a.heap().stats().total_frees == 1);
    CHECK(b.heap().stats().live_allocations == 1);
    CHECK(b.heap().usable_size(other.value()) != 0);
    CHECK(a->wrapper_calls == 5);
}

TEST_CASE("Wrapper: nk_free of device registers the extension can write is refused unread",
          "[wrapper]") {
    WrapperScope scope;
    TestExtension a("a", TEXT_A);
    Arena arena;
    g_runtime.current = a.get();
    auto block = a.heap().allocate(100);
    REQUIRE(block.has_value());
    // An nk_ioremap mapping: writable in the domain, unreadable on the host.
    map_pages(*a, arena.page(5), PAGE, true);
    auto* registers = arena.page(5) + 32;

    HeapFree::entry(registers);
    CHECK(g_implementation.calls == 0);
    REQUIRE(g_runtime.failures.size() == 1);
    CHECK(g_runtime.failures[0].function == "nk_free");
    CHECK(g_runtime.failures[0].value == reinterpret_cast<u64>(registers));
    CHECK(a.heap().stats().errors_detected == 0);
    CHECK(a.heap().stats().live_allocations == 1);
    // The extension's real blocks still go through.
    HeapFree::entry(block.value());
    CHECK(g_implementation.calls == 1);
    CHECK(a.heap().stats().live_allocations == 0);
}
