// The builtin command functions, listed with their help text in builtins.cpp.
#pragma once

#include <nk/syscall_abi.h>
#include <userland/shell/context.h>

namespace shell::commands {

// file_commands.cpp
int ls(Context&, int argc, const char* const* argv);
int cat(Context&, int argc, const char* const* argv);
int write(Context&, int argc, const char* const* argv);
int cp(Context&, int argc, const char* const* argv);
int mv(Context&, int argc, const char* const* argv);
int rm(Context&, int argc, const char* const* argv);
int mkdir(Context&, int argc, const char* const* argv);
int mount(Context&, int argc, const char* const* argv);
int umount(Context&, int argc, const char* const* argv);
int df(Context&, int argc, const char* const* argv);
// Prints one of the kernel's text reports (sys::info); the command takes no arguments.
int print_info(Context& context, int argc, const char* const* argv, nk::abi::InfoKind kind);
int sync(Context&, int argc, const char* const* argv);
int lsblk(Context&, int argc, const char* const* argv);
int rmdir(Context&, int argc, const char* const* argv);
int stat(Context&, int argc, const char* const* argv);
int cd(Context&, int argc, const char* const* argv);
int pwd(Context&, int argc, const char* const* argv);

// system_commands.cpp
int help(Context&, int argc, const char* const* argv);
int echo(Context&, int argc, const char* const* argv);
int ps(Context&, int argc, const char* const* argv);
int mem(Context&, int argc, const char* const* argv);
int dmesg(Context&, int argc, const char* const* argv);
int uptime(Context&, int argc, const char* const* argv);
int lspci(Context&, int argc, const char* const* argv);
int irqs(Context&, int argc, const char* const* argv);
int bench(Context&, int argc, const char* const* argv);
int ktest(Context&, int argc, const char* const* argv);
int poweroff(Context&, int argc, const char* const* argv);
int reboot(Context&, int argc, const char* const* argv);
int exit(Context&, int argc, const char* const* argv);

// extension_commands.cpp
int ext(Context&, int argc, const char* const* argv);
// Loads the module at `path` (parameters: "KEY=VALUE ..." or null), saying what went wrong.
int ext_load(Context&, const char* path, nk::abi::ExtMode mode, const char* parameters);
// `--native`, `--isolated` and KEY=VALUE words into `mode` and `parameters` (space-joined);
// STATUS_OK, or the status to return (said, or the usage of `command` printed) for a word that
// is neither, or too many.
int load_arguments(const char* command, int argc, const char* const* argv, nk::abi::ExtMode& mode,
                   char* parameters, nk::usize size);

// httpd_command.cpp
int httpd(Context&, int argc, const char* const* argv);

// net_commands.cpp
int ifconfig(Context&, int argc, const char* const* argv);
int dhcp(Context&, int argc, const char* const* argv);
int ping(Context&, int argc, const char* const* argv);
int netstat(Context&, int argc, const char* const* argv);
int iperf(Context&, int argc, const char* const* argv);

} // namespace shell::commands
