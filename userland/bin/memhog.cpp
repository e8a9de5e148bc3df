// Maps pages until MapPages fails, then unmaps them all: shows how much memory a process can get
// and, run twice (or with `mem` before and after), that it all comes back.
//
//   memhog [MAX_PAGES]
//
// The pages are chained through their own first word, so keeping track of them takes no memory
// beyond the pages themselves.
#include <nk_stdlib.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>

int main(int argc, char** argv) {
    nk::u64 limit = ~0ull;
    const char* end = nullptr;
    if (argc > 2 ||
        (argc == 2 && ((limit = nk::parse_unsigned(argv[1], &end, 10)) == 0 || *end != '\0'))) {
        dprintf(2, "usage: memhog [MAX_PAGES]\n");
        return 2;
    }

    void* newest = nullptr;
    nk::u64 mapped = 0;
    nk::Error stopped_by = nk::Error::NoMemory;
    bool hit_limit = true;
    while (mapped < limit) {
        auto page = sys::map_pages(0);
        if (page.is_error()) {
            stopped_by = page.error();
            hit_limit = false;
            break;
        }
        // Writing also proves the page is really there.
        *static_cast<void**>(page.value()) = newest;
        newest = page.value();
        ++mapped;
        if (mapped % 16384 == 0)
            printf("memhog: %llu MiB so far\n", (unsigned long long)(mapped / 256));
    }
    // Give everything back before reporting: with memory exhausted the kernel may not even
    // manage to print.
    nk::u64 unmapped = 0;
    nk::u64 failed = 0;
    while (newest) {
        void* next = *static_cast<void**>(newest);
        if (sys::unmap_pages(newest, 0).has_value())
            ++unmapped;
        else
            ++failed;
        newest = next;
    }

    if (hit_limit)
        printf("memhog: mapped %llu pages (%llu KiB), the limit asked for\n",
               (unsigned long long)mapped, (unsigned long long)(mapped * 4));
    else
        printf("memhog: mapped %llu pages (%llu KiB) before MapPages failed: %s\n",
               (unsigned long long)mapped, (unsigned long long)(mapped * 4),
               nk::error_string(stopped_by));
    printf("memhog: unmapped %llu pages", (unsigned long long)unmapped);
    if (failed)
        printf(", %llu failed to unmap", (unsigned long long)failed);
    printf("\n");
    return failed == 0 ? 0 : 1;
}
