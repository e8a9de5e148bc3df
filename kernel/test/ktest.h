// In-kernel self tests. A test is one macro in one file; the linker gathers them in the .ktests
// section (linker.ld), so the runner needs no list:
//
//   KTEST(frames_alloc_free) {
//       auto frame = frames().allocate();
//       KEXPECT(frame.has_value());
//   }
//
// Booting with `ktest` on the kernel command line runs them all (`ktest=NAME` runs those whose
// name starts with NAME), prints a line per test and "N passed, N failed", and exits QEMU with a
// pass/fail code.
#pragma once

#include <nk/types.h>

namespace kernel::ktest {

struct TestContext {
    const char* name;
    unsigned failures;
};

struct TestCase {
    const char* name;
    void (*function)(TestContext&);
    const char* file;
};

struct RunSummary {
    unsigned passed;
    unsigned failed;
};

// Runs the tests whose name starts with `prefix` ("" for all), except those whose name starts
// with `skip` (nullptr: none).
RunSummary run(const char* prefix, const char* skip = nullptr);
// Records a failed expectation (prints it with its location).
void report_failure(TestContext& context, const char* expression, const char* file, int line);

} // namespace kernel::ktest

// The section holds pointers, not the cases themselves: the compiler may pad and over-align
// structures it places, but an array of pointers stays dense.
#define KTEST(test_name)                                                                           \
    static void ktest_##test_name(::kernel::ktest::TestContext&);                                  \
    static const ::kernel::ktest::TestCase ktest_case_##test_name = {#test_name,                   \
                                                                     ktest_##test_name, __FILE__}; \
    [[gnu::used,                                                                                   \
      gnu::section(                                                                                \
          ".ktests")]] static const ::kernel::ktest::TestCase* const ktest_entry_##test_name =     \
        &ktest_case_##test_name;                                                                   \
    static void ktest_##test_name([[maybe_unused]] ::kernel::ktest::TestContext& ktest_context)

#define KEXPECT(condition)                                                                         \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::kernel::ktest::report_failure(ktest_context, #condition, __FILE__, __LINE__);        \
    } while (0)

// Stops the test on failure (for checks later lines depend on).
#define KREQUIRE(condition)                                                                        \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            ::kernel::ktest::report_failure(ktest_context, #condition, __FILE__, __LINE__);        \
            return;                                                                                \
        }                                                                                          \
    } while (0)
