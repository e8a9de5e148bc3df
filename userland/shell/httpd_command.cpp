// `httpd`: the in-kernel web server (the khttpd extension) from the shell.
//   httpd start [--native|--isolated] [KEY=VALUE ...]   load it (root=/disk port=80 unless given)
//   httpd stop                                          unload it
//   httpd status                                        its state and its own status line
#include <userland/lib/io.h>
#include <userland/lib/print.h>
#include <userland/lib/syscalls.h>
#include <userland/shell/builtins.h>
#include <userland/shell/commands.h>

#include <nk/syscall_abi.h>
#include <nk_string.h>

namespace shell::commands {

namespace abi = nk::abi;
using nk::u32;
using nk::usize;

namespace {

constexpr const char* MODULE = "/lib/modules/khttpd.ko";
constexpr const char* NAME = "khttpd";

bool equals(const char* a, const char* b) {
    return nk::compare_strings(a, b) == 0;
}

bool has_key(const char* parameters, const char* key) {
    usize length = nk::string_length(key);
    for (const char* at = parameters; *at;) {
        if (nk::compare_memory(at, key, length) == 0 && at[length] == '=')
            return true;
        while (*at && *at != ' ')
            ++at;
        while (*at == ' ')
            ++at;
    }
    return false;
}

void add_default(char* parameters, usize size, const char* key, const char* value) {
    if (has_key(parameters, key))
        return;
    usize used = nk::string_length(parameters);
    usize needed = nk::string_length(key) + 1 + nk::string_length(value) + (used ? 1 : 0);
    if (used + needed + 1 > size)
        return; // the kernel then says what is missing
    if (used)
        parameters[used++] = ' ';
    for (const char* c = key; *c;)
        parameters[used++] = *c++;
    parameters[used++] = '=';
    for (const char* c = value; *c;)
        parameters[used++] = *c++;
    parameters[used] = 0;
}

int start(Context& context, int argc, const char* const* argv) {
    abi::ExtMode mode = abi::ExtMode::Isolated;
    static char parameters[128];
    if (int status = load_arguments("httpd", argc, argv, mode, parameters, sizeof parameters);
        status != STATUS_OK)
        return status;
    add_default(parameters, sizeof parameters, "root", "/disk");
    add_default(parameters, sizeof parameters, "port", "80");
    int status = ext_load(context, MODULE, mode, parameters);
    if (status == STATUS_OK)
        dprintf(context.out, "httpd: started (%s)\n", parameters);
    return status;
}

int status(Context& context) {
    static char text[8 * 1024];
    auto result = sys::ext_control(u32(abi::ExtOperation::Stats), NAME, 0, text, sizeof text - 1);
    if (result.is_error()) {
        if (result.error() == nk::Error::NoEntry) {
            dprintf(context.out, "httpd: not running (httpd start)\n");
            return STATUS_FAILURE;
        }
        return report("httpd status", NAME, result.error());
    }
    text[result.value()] = 0;
    // The first line (name, class, mode, state) and the server's own status line.
    const char* end = nk::find_char(text, '\n');
    usize first = end ? usize(end - text + 1) : nk::string_length(text);
    (void)user::write_all(context.out, text, first);
    for (const char* line = text; line && *line;) {
        const char* next = nk::find_char(line, '\n');
        usize length = next ? usize(next - line + 1) : nk::string_length(line);
        const char* word = line;
        while (*word == ' ')
            ++word;
        if (nk::compare_memory(word, "service:", 8) == 0 ||
            nk::compare_memory(word, "last fault:", 11) == 0)
            (void)user::write_all(context.out, line, length);
        line = next ? next + 1 : nullptr;
    }
    return STATUS_OK;
}

} // namespace

int httpd(Context& context, int argc, const char* const* argv) {
    if (argc >= 2 && equals(argv[1], "start"))
        return start(context, argc - 2, argv + 2);
    if (argc == 2 && equals(argv[1], "stop")) {
        auto result = sys::ext_control(u32(abi::ExtOperation::Unload), NAME, 0, nullptr, 0);
        if (result.is_error()) {
            if (result.error() == nk::Error::NoEntry) {
                dprintf(2, "httpd stop: not running\n");
                return STATUS_FAILURE;
            }
            return report("httpd stop", NAME, result.error());
        }
        dprintf(context.out, "httpd: stopped\n");
        return STATUS_OK;
    }
    if (argc == 2 && equals(argv[1], "status"))
        return status(context);
    return usage("httpd");
}

} // namespace shell::commands
