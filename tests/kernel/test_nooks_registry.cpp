// In-kernel tests of the extension registry: records used by one thread while another unloads.
#include <kernel/sched/scheduler.h>
#include <kernel/sync/semaphore.h>
#include <kernel/test/ktest.h>
#include <nooks/extension_manager.h>
#include <nooks/recovery.h>

#include <string.h>

#include "nooks_test_support.h"

using namespace kernel;

namespace {

unsigned count_named(const char* name) {
    struct Count {
        const char* name;
        unsigned count;
    } count = {name, 0};
    nooks::for_each_extension(
        [](nooks::Extension& extension, void* context) {
            auto& count = *static_cast<Count*>(context);
            count.count += strcmp(extension.name, count.name) == 0;
        },
        &count);
    return count.count;
}

struct Unloader {
    bool succeeded = false;
    Semaphore done;
    Semaphore exit;
};

void unload_test(void* argument) {
    auto* unloader = static_cast<Unloader*>(argument);
    unloader->succeeded = nooks::unload_extension("test").has_value();
    unloader->done.up();
    unloader->exit.down(); // keeps the semaphores in use until the test has read them
}

} // namespace

KTEST(nooks_reference_outlives_unload) {
    // What `ext stats`, `ext crash` and `ext restart` rely on: the record they hold is not freed
    // under them by an unload, which takes it off the list at once and waits for them.
    KREQUIRE(load_isolated_test_extension() != nullptr);
    nooks::ExtensionReference held = nooks::find_extension("test");
    KREQUIRE(held);
    Unloader unloader;
    auto thread = sched::create_thread("test-unload", unload_test, &unloader);
    KREQUIRE(thread.has_value());
    sched::start(thread.value());
    for (int waited = 0; waited < 10000 && count_named("test") != 0; ++waited)
        sched::sleep_ms(1);
    KEXPECT(count_named("test") == 0);
    KEXPECT(!nooks::find_extension("test"));
    // The unload waits for the reference, its claim still on the record: a restart (or a second
    // unload) of it is refused, not run into the one under way.
    KEXPECT(!unloader.done.down_for(50));
    KEXPECT(strcmp(held->name, "test") == 0);
    auto restarted = nooks::restart_extension(*held);
    KEXPECT(restarted.is_error() && restarted.error() == nk::Error::Busy);
    auto again = nooks::unload_extension("test");
    KEXPECT(again.is_error() && again.error() == nk::Error::NoEntry);
    held.reset();
    KEXPECT(unloader.done.down_for(10000));
    KEXPECT(unloader.succeeded);
    unloader.exit.up();
    sched::sleep_ms(2); // the thread exits before its semaphores go out of scope
}
