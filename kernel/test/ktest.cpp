#include <kernel/test/ktest.h>
#include <kernel/time/clock.h>

#include <stdio.h>
#include <string.h>

extern "C" const kernel::ktest::TestCase* const __ktests_start[];
extern "C" const kernel::ktest::TestCase* const __ktests_end[];

namespace kernel::ktest {

void report_failure(TestContext& context, const char* expression, const char* file, int line) {
    ++context.failures;
    kprintf("ktest:   FAILED %s: KEXPECT(%s) at %s:%d\n", context.name, expression, file, line);
}

// Whether `name` starts with one of the comma-separated prefixes in `list`.
static bool matches_any(const char* name, const char* list) {
    while (list && *list) {
        const char* end = list;
        while (*end && *end != ',')
            ++end;
        nk::usize length = nk::usize(end - list);
        if (length && strncmp(name, list, length) == 0)
            return true;
        list = *end ? end + 1 : end;
    }
    return false;
}

RunSummary run(const char* prefix, const char* skip) {
    RunSummary summary = {0, 0};
    nk::usize prefix_length = strlen(prefix);
    for (auto* entry = __ktests_start; entry < __ktests_end; ++entry) {
        const TestCase* test = *entry;
        if (strncmp(test->name, prefix, prefix_length) != 0)
            continue;
        if (matches_any(test->name, skip))
            continue;
        TestContext context = {test->name, 0};
        nk::u64 start = clock::nanoseconds_since_boot();
        test->function(context);
        nk::u64 micros = (clock::nanoseconds_since_boot() - start) / 1000;
        if (context.failures == 0) {
            ++summary.passed;
            kprintf("ktest: pass %s (%llu us)\n", test->name, (unsigned long long)micros);
        } else {
            ++summary.failed;
            kprintf("ktest: FAIL %s (%u failed expectations)\n", test->name, context.failures);
        }
    }
    kprintf("%u passed, %u failed\n", summary.passed, summary.failed);
    return summary;
}

} // namespace kernel::ktest
