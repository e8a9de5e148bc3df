# Freestanding x86_64 kernel toolchain: the machine's own GCC (no cross compiler needed — the
# host is x86_64), told to assume nothing of a hosted environment.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_ASM_COMPILER gcc)

# Compiler checks must not try to link a hosted program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Why each flag:
#  -mno-red-zone        interrupts arrive on the current kernel stack and would clobber it
#  -mgeneral-regs-only  no SSE/x87 state in the kernel: context switches do not save it
#  -mcmodel=kernel      the image lives in the top 2 GiB (0xffffffff80000000)
#  -fno-pic/-fno-pie    absolute addressing; Debian's GCC defaults to PIE
#  -fno-omit-frame-pointer  the panic backtrace walks the RBP chain
#  -fno-delete-null-pointer-checks  address 0 is an address like any other to the kernel; GCC
#                       must not treat a NULL access as unreachable and drop the code
set(NK_FREESTANDING_FLAGS
    "-ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
-mcmodel=kernel -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-strict-aliasing \
-fno-delete-null-pointer-checks")
set(CMAKE_C_FLAGS_INIT "${NK_FREESTANDING_FLAGS} -std=gnu11")
set(CMAKE_CXX_FLAGS_INIT
    "${NK_FREESTANDING_FLAGS} -fno-exceptions -fno-rtti -fno-threadsafe-statics -nostdinc++ -fcheck-new")
set(CMAKE_ASM_FLAGS_INIT "${NK_FREESTANDING_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,--no-warn-rwx-segments")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
