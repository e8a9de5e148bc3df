// The pieces of the C++ ABI runtime that g++ output refers to, for the freestanding kernel and
// the ring-3 programs alike. Each provides the allocation hooks: the kernel on kmalloc/kfree,
// userland on its malloc/free.
//
// There are no exceptions, so operator new cannot throw: it returns nullptr when the hook fails.
// g++ assumes a non-throwing failure is impossible and constructs into the result unchecked
// unless the kernel is built with -fcheck-new; without that flag, allocate fallible objects with
// kmalloc and placement new.
#include <stddef.h>

extern "C" {

// Provided by whoever links this file.
void* nk_allocate(size_t size);
void nk_deallocate(void* pointer);
[[noreturn]] void nk_panic(const char* message);

// Reached only through a vtable slot of an abstract class, i.e. a call made during construction
// or destruction, or through a corrupted object.
void __cxa_pure_virtual() {
    nk_panic("pure virtual function called");
}

// Kernel objects with static storage are never destroyed, so destructors need not be recorded.
int __cxa_atexit(void (*)(void*), void*, void*) {
    return 0;
}

// Identifies this "shared object" to __cxa_atexit; the kernel is a single image.
void* __dso_handle = nullptr;

} // extern "C"

void* operator new(size_t size) {
    return nk_allocate(size);
}
void* operator new[](size_t size) {
    return nk_allocate(size);
}

void operator delete(void* pointer) noexcept {
    if (pointer)
        nk_deallocate(pointer);
}
void operator delete[](void* pointer) noexcept {
    if (pointer)
        nk_deallocate(pointer);
}
// The size is not needed: the heap knows every block's size.
void operator delete(void* pointer, size_t) noexcept {
    if (pointer)
        nk_deallocate(pointer);
}
void operator delete[](void* pointer, size_t) noexcept {
    if (pointer)
        nk_deallocate(pointer);
}
