#include <arch/x86/cpu.h>
#include <arch/x86/cpu_features.h>
#include <arch/x86/mmu.h>
#include <kernel/block/block_device.h>
#include <kernel/net/net_device.h>
#include <kernel/time/clock.h>
#include <nooks/extension_manager.h>
#include <nooks/test_extension.h>
#include <nooks/xpc.h>
#include <nooks/xpc_benchmark.h>

#include <stdio.h>

namespace nooks {

namespace {

constexpr unsigned ROUNDS = 2000;
constexpr unsigned CHURN = 500;

// The smallest of several runs: interrupts and the emulator's own pauses only ever add time.
template <typename Body>
nk::u64 best_cycles(unsigned runs, Body body) {
    nk::u64 best = ~0ull;
    for (unsigned run = 0; run < runs; ++run) {
        nk::u64 start = x86::rdtsc();
        body();
        nk::u64 cycles = x86::rdtsc() - start;
        if (cycles < best)
            best = cycles;
    }
    return best;
}

struct Measurement {
    nk::u64 call;  // kernel -> extension null call (echo), cycles per call
    nk::u64 churn; // CHURN malloc/free pairs inside the extension, cycles in all
    nk::u64 block; // a 4 KiB read from its RAM block device through the block layer
    nk::u64 frame; // a 60-byte frame through its loopback NIC (transmit, nk_netif_rx back)
};

void count_frame(kernel::net::NetDevice&, const nk::u8*, nk::usize, void* counter) {
    ++*static_cast<nk::u64*>(counter);
}

// The test extension's registered devices, used the way the kernel's own code uses any disk
// and NIC: the cost of a class operation, crossing included.
void measure_devices(Extension& extension, const nooks_test_ops& ops, Measurement& result) {
    auto objects = as_domain_function(ops.objects);
    if (xpc_call(extension, objects, NOOKS_TEST_REGISTER).value_or(-1) != 0)
        return;
    if (kernel::block::BlockDevice* disk = kernel::block::find("tblk0")) {
        static nk::u8 data[4096];
        result.block = best_cycles(5,
                                   [&] {
                                       for (unsigned i = 0; i < ROUNDS / 10; ++i)
                                           (void)disk->read_direct((i % 8) * 8, 8, data);
                                   }) /
                       (ROUNDS / 10);
        disk->unref();
    }
    if (kernel::net::NetDevice* nic = kernel::net::find("tnet0")) {
        nk::u64 received = 0;
        nic->set_receive_hook(count_frame, &received);
        (void)nic->open();
        nk::u8 frame[60] = {};
        result.frame = best_cycles(5,
                                   [&] {
                                       for (unsigned i = 0; i < ROUNDS; ++i)
                                           (void)nic->transmit(frame, sizeof frame);
                                   }) /
                       ROUNDS;
        if (received != 5ull * ROUNDS)
            result.frame = 0; // frames went missing: no figure rather than a wrong one
        nic->stop();
        nic->unref();
    }
}

nk::Result<Measurement> measure(ExtensionMode mode) {
    LoadProblem problem = {};
    Extension* extension = TRY(load_extension_file("/", "/lib/modules/test.ko", mode, &problem));
    const auto& ops = *static_cast<const nooks_test_ops*>(extension->info->ops);
    auto echo = as_domain_function(ops.echo);
    auto churn = as_domain_function(ops.churn);
    Measurement result = {};
    result.call = best_cycles(5,
                              [&] {
                                  for (unsigned i = 0; i < ROUNDS; ++i)
                                      (void)xpc_call(*extension, echo, long(i));
                              }) /
                  ROUNDS;
    result.churn = best_cycles(5, [&] { (void)xpc_call(*extension, churn, CHURN); });
    measure_devices(*extension, ops, result);
    (void)unload_extension(extension->name);
    return result;
}

volatile long g_sink = 0;

nk::u64 indirect_call_cycles() {
    long (*volatile function)(long) = [](long value) {
        g_sink = g_sink + value;
        return value + 1;
    };
    return best_cycles(5,
                       [&] {
                           for (unsigned i = 0; i < ROUNDS; ++i)
                               function(long(i));
                       }) /
           ROUNDS;
}

} // namespace

nk::Result<nk::usize> run_xpc_benchmark(char* buffer, nk::usize size) {
    if (find_extension("test"))
        return nk::Error::Busy;
    nk::u64 indirect = indirect_call_cycles();
    nk::u64 cr3 = x86::mmu::measure_cr3_reload_cycles(64);
    Measurement native = TRY(measure(ExtensionMode::Native));
    Measurement isolated = TRY(measure(ExtensionMode::Isolated));
    // Each churn iteration makes two calls into the kernel (nk_malloc, nk_free); the native run
    // does the same work without crossings, so the difference is the crossing cost.
    nk::u64 service_native = native.churn / (2 * CHURN);
    nk::u64 service_isolated = isolated.churn / (2 * CHURN);
    nk::u64 ratio_x100 = cr3 ? isolated.call * 100 / (2 * cr3) : 0;
    int length = snprintf(
        buffer, size,
        "XPC benchmark (TSC cycles; best of 5 runs of %u calls; PCID %s)\n"
        "  plain indirect call:                         %6llu\n"
        "  native call through the extension ABI:       %6llu\n"
        "  isolated null XPC kernel->extension->kernel: %6llu\n"
        "  extension->kernel service call, native:      %6llu (malloc or free, with its work)\n"
        "  extension->kernel service call, isolated:    %6llu (same work, through a wrapper)\n"
        "  one CR3 write on this CPU:                   %6llu\n"
        "  XPC round trip / two CR3 writes:             %llu.%02llu (target <= 1.50)\n"
        "  isolated/native, null call:                  %llu.%02llu\n"
        "  4 KiB block read (RAM disk), native/isolated: %llu / %llu\n"
        "  60-byte frame (loopback NIC), native/isolated: %llu / %llu\n",
        ROUNDS, x86::enabled_features().pcid ? "on" : "off", (unsigned long long)indirect,
        (unsigned long long)native.call, (unsigned long long)isolated.call,
        (unsigned long long)service_native, (unsigned long long)service_isolated,
        (unsigned long long)cr3, (unsigned long long)(ratio_x100 / 100),
        (unsigned long long)(ratio_x100 % 100),
        (unsigned long long)(native.call ? isolated.call / native.call : 0),
        (unsigned long long)(native.call ? isolated.call * 100 / native.call % 100 : 0),
        (unsigned long long)native.block, (unsigned long long)isolated.block,
        (unsigned long long)native.frame, (unsigned long long)isolated.frame);
    return length > 0 ? nk::min(nk::usize(length), size - 1) : 0;
}

} // namespace nooks
