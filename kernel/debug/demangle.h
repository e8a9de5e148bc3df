// A small Itanium C++ ABI demangler (https://itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling)
// for fault reports and backtraces: it turns `_ZN5nooks8xpc_callERNS_9ExtensionEPFllllElll` into
// `nooks::xpc_call(nooks::Extension&, long (*)(long, long, long), long, long, long)`, spelled the
// way binutils' c++filt spells it.
//
// It covers what g++ emits for kernel and extension code: nested, local and unscoped names,
// `(anonymous namespace)`, constructors and destructors, operators (conversions and literal
// operators too), ABI tags, lambdas and unnamed types, `std::` and the std abbreviations (Sa Sb Ss
// Si So Sd), substitutions, template arguments and parameters (resolved), argument packs and pack
// expansions, integer, bool, enum and nullptr literals, the expressions g++ puts in template
// arguments for class-type and pointer parameters (`tl`, `ad`, `L_Z...E`), builtin types,
// pointers, references, cv-qualifiers, pointers to members, function types, arrays, and the
// special names `TV TT TI TS TA Th Tv Tc TW TH GV`. GCC clone suffixes are kept, as c++filt
// keeps them: `_Z1fv.constprop.0` prints as `f() [clone .constprop.0]`.
//
// Refused (the name is then returned as it is): floating-point literals, expressions other than
// those above, decltype, vector and vendor-qualified types, lambdas with template parameters,
// template conversion operators, inheriting constructors, default-argument scopes, transaction
// clones, decimal floating point, declarators c++filt nests inside each other (a function
// returning a function pointer, an array of function pointers), and names past the limits in
// demangle.cpp (depth, size; none of the kernel's names comes close).
#pragma once

#include <nk/types.h>

namespace kernel::debug {

// Writes the readable form of `mangled` to `out` and returns true when `mangled` is a name this
// demangler understands; otherwise copies `mangled` itself and returns false (C names such as
// `nk_malloc` included). Either way `out` is NUL-terminated and cut to fit when out_size > 0; a
// readable name cut short still returns true.
//
// Safe on any input: it reads no byte past the input's NUL (nor more than a few KiB of it),
// allocates nothing, recurses at most a fixed depth (hostile nesting is refused, not followed;
// about 5 KiB of stack at worst) and does bounded work, so it can run on the fault path.
bool demangle(const char* mangled, char* out, nk::usize out_size);

} // namespace kernel::debug
