#include <kernel/debug/backtrace.h>
#include <kernel/memory/layout.h>
#include <kernel/memory/memory_manager.h>

namespace kernel {

nk::usize collect_backtrace(nk::u64 rbp, nk::u64* out, nk::usize capacity) {
    nk::usize count = 0;
    // Frame layout with frame pointers: [rbp] = caller's rbp, [rbp+8] = return address.
    while (count < capacity && rbp != 0) {
        if ((rbp & 7) != 0 || !is_kernel_half(rbp) || !memory::is_kernel_readable(rbp, 16))
            break;
        auto* frame = reinterpret_cast<const nk::u64*>(rbp);
        nk::u64 return_address = frame[1];
        if (return_address < KERNEL_VMA)
            break;
        out[count++] = return_address;
        nk::u64 next = frame[0];
        // Stacks grow down, so callers' frames are at higher addresses; anything else is a loop
        // or garbage.
        if (next <= rbp)
            break;
        rbp = next;
    }
    return count;
}

} // namespace kernel
