// `ext`: the shell's view of the Nooks extension manager, through the ExtControl system call.
//   ext list
//   ext load PATH [--native|--isolated] [KEY=VALUE ...]
//   ext unload NAME
//   ext restart NAME
//   ext stats NAME
//   ext trace NAME
//   ext crash NAME KIND
//   ext bench
//   ext checks fail|report
#include <userland/lib/io.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/commands.h>

#include <nk/syscall_abi.h>
#include <nk_stdlib.h>
#include <nk_string.h>

namespace shell::commands {

namespace abi = nk::abi;
using nk::u32;
using nk::usize;

namespace {

constexpr usize TEXT_SIZE = 8 * 1024;

bool equals(const char* a, const char* b) {
    return nk::compare_strings(a, b) == 0;
}

int list(Context& context) {
    static char text[TEXT_SIZE];
    auto length = sys::ext_control(u32(abi::ExtOperation::List), nullptr, 0, text, sizeof text);
    if (length.is_error())
        return report("ext list", nullptr, length.error());
    (void)user::write_all(context.out, text, usize(length.value()));
    return STATUS_OK;
}

int unload(Context&, const char* name) {
    auto result = sys::ext_control(u32(abi::ExtOperation::Unload), name, 0, nullptr, 0);
    if (result.is_error())
        return report("ext unload", name, result.error());
    return STATUS_OK;
}

int named(Context& context, abi::ExtOperation operation, const char* command, const char* name,
          bool prints) {
    static char text[TEXT_SIZE];
    auto result = sys::ext_control(u32(operation), name, 0, prints ? text : nullptr,
                                   prints ? sizeof text : 0);
    if (result.is_error())
        return report(command, name, result.error());
    if (prints)
        (void)user::write_all(context.out, text, usize(result.value()));
    return STATUS_OK;
}

int crash(Context& context, const char* name, const char* kind, u32 after, u32 times) {
    abi::ExtCrashRequest request = {};
    request.after = after;
    request.times = times;
    nk::copy_memory(request.name, name, nk::min<usize>(nk::string_length(name), 31));
    nk::copy_memory(request.kind, kind, nk::min<usize>(nk::string_length(kind), 31));
    static char text[512];
    auto result = sys::ext_control(u32(abi::ExtOperation::Crash), &request, sizeof request, text,
                                   sizeof text);
    if (result.is_error()) {
        if (result.error() == nk::Error::Invalid)
            dprintf(2,
                    "ext crash: unknown kind '%s' (null, wild-write, kernel-write, "
                    "stack-overflow, hang, hang-cli, div0, ud, bad-param, double-free, leak, "
                    "panic, heap-scribble)\n",
                    kind);
        else
            return report("ext crash", name, result.error());
        return STATUS_FAILURE;
    }
    (void)user::write_all(context.out, text, usize(result.value()));
    return STATUS_OK;
}

} // namespace

int ext_load(Context&, const char* path, abi::ExtMode mode, const char* parameters) {
    char problem[256] = {};
    abi::ExtLoadRequest request = {path, mode, 0, parameters};
    auto result = sys::ext_control(u32(abi::ExtOperation::Load), &request, sizeof request, problem,
                                   sizeof problem - 1);
    if (result.is_error()) {
        if (problem[0])
            dprintf(2, "ext load: %s: %s (%s)\n", path, nk::error_string(result.error()), problem);
        else
            return report("ext load", path, result.error());
        return STATUS_FAILURE;
    }
    return STATUS_OK;
}

int load_arguments(const char* command, int argc, const char* const* argv, abi::ExtMode& mode,
                   char* parameters, usize size) {
    usize used = 0;
    parameters[0] = 0;
    for (int i = 0; i < argc; ++i) {
        if (equals(argv[i], "--native"))
            mode = abi::ExtMode::Native;
        else if (equals(argv[i], "--isolated"))
            mode = abi::ExtMode::Isolated;
        else if (nk::find_char(argv[i], '=') && argv[i][0] != '=') {
            usize length = nk::string_length(argv[i]);
            if (used + length + 2 > size) {
                dprintf(2, "%s: parameters too long (at most %zu bytes)\n", command, size - 1);
                return STATUS_FAILURE;
            }
            if (used)
                parameters[used++] = ' ';
            nk::copy_memory(parameters + used, argv[i], length + 1);
            used += length;
        } else {
            return usage(command);
        }
    }
    return STATUS_OK;
}

int ext(Context& context, int argc, const char* const* argv) {
    if (argc == 2 && equals(argv[1], "list"))
        return list(context);
    if (argc >= 3 && equals(argv[1], "load")) {
        abi::ExtMode mode = abi::ExtMode::Isolated;
        // Load parameters (KEY=VALUE, for the extension's nk_param), joined by spaces.
        static char parameters[128];
        if (int status =
                load_arguments("ext", argc - 3, argv + 3, mode, parameters, sizeof parameters);
            status != STATUS_OK)
            return status;
        return ext_load(context, argv[2], mode, parameters[0] ? parameters : nullptr);
    }
    if (argc == 3 && equals(argv[1], "unload"))
        return unload(context, argv[2]);
    if (argc == 3 && equals(argv[1], "restart"))
        return named(context, abi::ExtOperation::Restart, "ext restart", argv[2], false);
    if (argc == 3 && equals(argv[1], "stats"))
        return named(context, abi::ExtOperation::Stats, "ext stats", argv[2], true);
    if (argc == 3 && equals(argv[1], "trace"))
        return named(context, abi::ExtOperation::Trace, "ext trace", argv[2], true);
    if (argc == 3 && equals(argv[1], "checks"))
        return named(context, abi::ExtOperation::Checks, "ext checks", argv[2], false);
    if (argc == 2 && equals(argv[1], "bench"))
        return named(context, abi::ExtOperation::Bench, "ext bench", nullptr, true);
    if (argc >= 4 && equals(argv[1], "crash")) {
        // ext crash NAME KIND [--after N [--times K]]
        u32 after = 0;
        u32 times = 1;
        for (int i = 4; i < argc; i += 2) {
            if (i + 1 >= argc)
                return usage("ext");
            const char* end = nullptr;
            nk::u64 value = nk::parse_unsigned(argv[i + 1], &end, 10);
            if (end == argv[i + 1] || *end || argv[i + 1][0] == '-' || value == 0 ||
                value > 1000000)
                return usage("ext");
            if (equals(argv[i], "--after"))
                after = u32(value);
            else if (equals(argv[i], "--times"))
                times = u32(value);
            else
                return usage("ext");
        }
        if (times > 1 && after == 0)
            return usage("ext");
        return crash(context, argv[2], argv[3], after, times);
    }
    return usage("ext");
}

} // namespace shell::commands
