// Must NOT compile with the extension flags: extensions may include only nooks/include headers.
// (tests/build/CMakeLists.txt checks that it fails, and that a legitimate extension compiles with
// the very same command.)
#include <kernel/memory/kmalloc.h>
#include <nooks/extension.h>

void* grab() { return kmalloc(16); }
