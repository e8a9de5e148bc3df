// The pieces of the C++ ABI runtime that g++ output refers to, for programs. There are no
// exceptions: operator new returns nullptr when malloc does, and the toolchain's -fcheck-new makes
// g++ test the result before constructing into it.
#include <stddef.h>
#include <userland/lib/malloc.h>

extern "C" {

[[noreturn]] void nk_panic(const char* message);

// Reached only through a vtable slot of an abstract class: a call during construction or
// destruction, or through a corrupted object.
void __cxa_pure_virtual() {
    nk_panic("pure virtual function called");
}

// Static destructors are not run at exit (the kernel reclaims everything), so none are recorded.
int __cxa_atexit(void (*)(void*), void*, void*) {
    return 0;
}

// Identifies this "shared object" to __cxa_atexit; a program is a single static image.
void* __dso_handle = nullptr;

} // extern "C"

void* operator new(size_t size) {
    return malloc(size);
}
void* operator new[](size_t size) {
    return malloc(size);
}
void operator delete(void* pointer) noexcept {
    free(pointer);
}
void operator delete[](void* pointer) noexcept {
    free(pointer);
}
// The heap knows every block's size.
void operator delete(void* pointer, size_t) noexcept {
    free(pointer);
}
void operator delete[](void* pointer, size_t) noexcept {
    free(pointer);
}
