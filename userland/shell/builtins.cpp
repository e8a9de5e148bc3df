#include <nk_string.h>
#include <userland/lib/print.h>
#include <userland/shell/builtins.h>
#include <userland/shell/commands.h>

namespace shell {

namespace {

// In the order `help` lists them.
constexpr Builtin table[] = {
    {"help", "help", "list the commands", commands::help},
    {"echo", "echo [-n] [WORD...]", "print the words (-n: without a newline)", commands::echo},
    {"ls", "ls [-l] [PATH...]", "list directories (-l: type and size too)", commands::ls},
    {"cat", "cat FILE...", "print files", commands::cat},
    {"write", "write FILE TEXT...", "replace FILE with the text and a newline", commands::write},
    {"cp", "cp SRC DST", "copy a file (DST may be a directory)", commands::cp},
    {"mv", "mv SRC DST", "move or rename (DST may be a directory)", commands::mv},
    {"rm", "rm FILE...", "remove files", commands::rm},
    {"mkdir", "mkdir DIR...", "make directories", commands::mkdir},
    {"rmdir", "rmdir DIR...", "remove empty directories", commands::rmdir},
    {"mount", "mount [TYPE DEVICE DIR]",
     "mount a file system an extension provides (e.g. mount vfat hda /disk); alone: list mounts",
     commands::mount},
    {"df", "df", "size and free space of mounted disks", commands::df},
    {"sync", "sync [-d]",
     "write every cached change to the disks (-d: then drop the cache, so reads go to the disk)",
     commands::sync},
    {"lsblk", "lsblk", "list disks, their traffic and the buffer cache", commands::lsblk},
    {"umount", "umount DIR", "unmount a file system mounted with mount", commands::umount},
    {"stat", "stat PATH...", "show type, size, inode, links and change time", commands::stat},
    {"cd", "cd [DIR]", "change the working directory (default /)", commands::cd},
    {"pwd", "pwd", "print the working directory", commands::pwd},
    {"ps", "ps", "list processes", commands::ps},
    {"mem", "mem", "show memory use", commands::mem},
    {"dmesg", "dmesg", "print the kernel log", commands::dmesg},
    {"uptime", "uptime", "time since boot", commands::uptime},
    {"lspci", "lspci", "list PCI devices", commands::lspci},
    {"irqs", "irqs", "interrupt counts", commands::irqs},
    {"bench", "bench [disk [MiB]]",
     "measure context-switch and system call costs; disk: the storage stack native vs isolated",
     commands::bench},
    {"ktest", "ktest [PREFIX]", "run the kernel self tests (those starting with PREFIX)",
     commands::ktest},
    {"ext",
     "ext list | load PATH [--native|--isolated] [KEY=VALUE ...] | unload NAME | restart NAME | "
     "stats NAME | trace NAME | crash NAME KIND [--after N [--times K]] | bench | checks "
     "fail|report",
     "kernel extensions: list, load, unload, restart, statistics, deliberate crashes",
     commands::ext},
    {"ifconfig", "ifconfig [INTERFACE ADDRESS NETMASK [GATEWAY]]",
     "network interfaces: address, MAC, link and counters; or set a static address",
     commands::ifconfig},
    {"dhcp", "dhcp [INTERFACE]", "ask DHCP for an address (default eth0) and wait for it",
     commands::dhcp},
    {"ping", "ping ADDRESS [-c COUNT] [-s BYTES] [-i MS] [-W MS]",
     "send ICMP echo requests (default 4, 56 bytes, 1000 ms apart, 2000 ms to answer)",
     commands::ping},
    {"netstat", "netstat", "TCP and UDP sockets and their states", commands::netstat},
    {"iperf", "iperf -s [-p PORT] | -c ADDRESS [-p PORT]",
     "one TCP throughput test against iperf 2 (default port 5001): receive, or send for 10 s",
     commands::iperf},
    {"httpd", "httpd start [--native|--isolated] [KEY=VALUE ...] | stop | status",
     "the in-kernel web server (khttpd): start it (root=/disk port=80 unless given), stop it, "
     "show its state",
     commands::httpd},
    {"poweroff", "poweroff", "turn the machine off", commands::poweroff},
    {"reboot", "reboot", "restart the machine", commands::reboot},
    {"exit", "exit [STATUS]", "leave the shell (init starts a new one)", commands::exit},
};

} // namespace

nk::Span<const Builtin> builtins() {
    return nk::Span<const Builtin>(table, sizeof(table) / sizeof(table[0]));
}

const Builtin* find_builtin(const char* name) {
    for (const Builtin& builtin : builtins()) {
        if (nk::compare_strings(builtin.name, name) == 0)
            return &builtin;
    }
    return nullptr;
}

int usage(const char* name) {
    const Builtin* builtin = find_builtin(name);
    dprintf(2, "usage: %s\n", builtin ? builtin->synopsis : name);
    return STATUS_USAGE;
}

int report(const char* command, const char* subject, nk::Error error) {
    if (subject)
        dprintf(2, "%s: %s: %s\n", command, subject, nk::error_string(error));
    else
        dprintf(2, "%s: %s\n", command, nk::error_string(error));
    return STATUS_FAILURE;
}

} // namespace shell
