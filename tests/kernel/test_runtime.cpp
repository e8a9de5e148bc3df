// In-kernel tests of the C++ runtime support: global constructors and virtual dispatch.
#include <kernel/test/ktest.h>

namespace {

int g_constructed_value = 0;

struct RunsAtStartup {
    RunsAtStartup() { g_constructed_value = 0x5eed; }
};
RunsAtStartup g_runs_at_startup;

struct Shape {
    virtual ~Shape() = default;
    virtual int sides() const = 0;
};
struct Triangle final : Shape {
    int sides() const override { return 3; }
};

} // namespace

KTEST(runtime_global_constructors_ran) {
    KEXPECT(g_constructed_value == 0x5eed);
}

KTEST(runtime_virtual_dispatch_and_delete) {
    Shape* shape = new Triangle;
    KREQUIRE(shape != nullptr);
    KEXPECT(shape->sides() == 3);
    delete shape;
}
