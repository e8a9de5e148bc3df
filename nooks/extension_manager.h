// The registry of loaded extensions: loading a module file natively (imports bound to the
// kernel's functions), listing, and unloading. Isolated loading — the module in its own
// protection domain behind wrappers — builds on this.
#pragma once

#include <nk/intrusive_list.h>
#include <nk/result.h>
#include <nk/types.h>
#include <nooks/extension.h>
#include <nooks/module_loader.h>
#include <nooks/module_region.h>

namespace nooks {

enum class ExtensionMode : nk::u8 { Native, Isolated };
enum class ExtensionState : nk::u8 { Running, Recovering, Failed, Disabled };

const char* mode_name(ExtensionMode mode);
const char* state_name(ExtensionState state);
const char* class_name(nk::u32 extension_class);

struct Extension {
    char name[32];
    nk::u32 extension_class;
    ExtensionMode mode;
    ExtensionState state;
    LoadedModule module;
    RegionAllocation region;
    const nooks_module_info* info; // inside the module image
    nk::u64 restarts;
    nk::u64 faults;
    nk::u64 crossings;
    nk::IntrusiveListNode node;
};

// Loads, validates the module's metadata (ABI version, class, name), and runs its init().
// Errors: the loader's (Error::Corrupt, BadExec, NoEntry for an unknown import...), Error::Exists
// when an extension of that name is loaded, Error::NotSupported for an unknown ABI version;
// `problem` says what was wrong in words.
nk::Result<Extension*> load_extension(const nk::u8* file, nk::usize size, ExtensionMode mode,
                                      LoadProblem* problem);
// Reads the module from a file first.
nk::Result<Extension*> load_extension_file(const char* cwd, const char* path, ExtensionMode mode,
                                           LoadProblem* problem);
// Runs exit() and releases the image. Error::NoEntry for an unknown name.
nk::ErrorOr unload_extension(const char* name);
Extension* find_extension(const char* name);
nk::usize format_extension_list(char* buffer, nk::usize size);

} // namespace nooks
