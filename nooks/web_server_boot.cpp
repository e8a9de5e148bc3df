#include <kernel/boot/command_line.h>
#include <kernel/fs/fs.h>
#include <kernel/fs/vfs.h>
#include <kernel/net/net_device.h>
#include <kernel/net/stack.h>
#include <nooks/extension_manager.h>
#include <nooks/web_server_boot.h>

#include <stdio.h>
#include <string.h>

namespace nooks {

namespace {

constexpr const char* SERVER = "/lib/modules/khttpd.ko";
constexpr const char* PARAMETERS = "root=/disk port=80";

} // namespace

void start_web_server() {
    if (kernel::command_line::has("nohttpd") || kernel::command_line::has("nonet") ||
        !kernel::net::stack_running() || kernel::fs::vfs().mounted_at("/disk").is_error())
        return;
    kernel::net::NetDevice* device = kernel::net::find("eth0");
    if (!device)
        return; // no network to serve
    device->unref();
    const char* wanted = kernel::command_line::value("httpd");
    ExtensionMode mode =
        wanted && strcmp(wanted, "native") == 0 ? ExtensionMode::Native : ExtensionMode::Isolated;
    LoadProblem problem = {};
    if (auto loaded = load_extension_file("/", SERVER, mode, &problem, PARAMETERS);
        loaded.is_error()) {
        kprintf("httpd: cannot load %s: %s%s%s\n", SERVER, nk::error_string(loaded.error()),
                problem.message[0] ? ": " : "", problem.message);
        return;
    }
    kprintf("httpd: serving /disk on port 80 (khttpd, %s)\n", mode_name(mode));
}

} // namespace nooks
