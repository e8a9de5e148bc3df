#!/usr/bin/env python3
"""Boot tests that drive the nk> shell over the serial console, as a person would.

usage: shell_tests.py BUILD_DIR CASE      (shell_tests.py --list prints the cases)
"""
import random
import re
import sys

import nkboot

case = nkboot.Cases()
Failure = nkboot.Failure


def expect(condition, message, shell=None):
    if not condition:
        tail = ("\n--- serial ---\n" + shell.output[-6000:]) if shell else ""
        raise Failure(message + tail)


def expect_equal(actual, expected, what, shell):
    expect(actual == expected, "%s: expected %r, got %r" % (what, expected, actual), shell)


def expect_match(pattern, text, what, shell):
    match = re.search(pattern, text, re.MULTILINE)
    expect(match is not None, "%s: /%s/ not in %r" % (what, pattern, text), shell)
    return match


def memory_figures(shell):
    text = shell.run("mem")
    frames = expect_match(r"^frames: \d+ total \(\d+ KiB\), (\d+) free, (\d+) used$", text, "mem", shell)
    heap = expect_match(r"^heap: (\d+) live allocations, (\d+) bytes requested", text, "mem", shell)
    procs = expect_match(r"processes: (\d+) live", text, "mem", shell)
    return {"free_frames": int(frames.group(1)), "heap_live": int(heap.group(1)),
            "heap_bytes": int(heap.group(2)), "processes": int(procs.group(1))}


@case
def files(build_dir):
    """File commands on the RAM file system, their errors, and redirection."""
    with nkboot.ShellSession(build_dir) as shell:
        expect_equal(shell.run("echo hello   world"), "hello world\n", "echo", shell)
        expect_equal(shell.run("write /notes.txt first line"), "", "write", shell)
        expect_equal(shell.run("cat /notes.txt"), "first line\n", "cat", shell)
        expect_equal(shell.run("echo second >> /notes.txt"), "", "append", shell)
        expect_equal(shell.run("cat /notes.txt"), "first line\nsecond\n", "cat after >>", shell)
        expect_equal(shell.run("echo 'quoted  text' \"and $?\" > /q.txt"), "", "redirect", shell)
        expect_equal(shell.run("cat /q.txt"), "quoted  text and 0\n", "quoting", shell)
        expect_equal(shell.run("mkdir /docs /docs/deep"), "", "mkdir", shell)
        expect_equal(shell.run("cp /notes.txt /docs/copy.txt"), "", "cp", shell)
        expect_equal(shell.run("mv /docs/copy.txt /docs/deep/moved.txt"), "", "mv", shell)
        listing = shell.run("ls -l /docs/deep")
        expect_match(r"moved\.txt", listing, "ls -l", shell)
        expect_match(r"\b18\b", listing, "ls -l shows the size", shell)
        expect_equal(shell.run("cd /docs/deep"), "", "cd", shell)
        expect_equal(shell.run("pwd"), "/docs/deep\n", "pwd", shell)
        expect_equal(shell.run("cat moved.txt"), "first line\nsecond\n", "relative path", shell)
        expect_equal(shell.run("cat ../../notes.txt"), "first line\nsecond\n", "..", shell)
        expect_match(r"^  Size: 18 bytes$", shell.run("stat /notes.txt"), "stat", shell)
        expect_equal(shell.run("cd /"), "", "cd /", shell)

        # Errors, in words, with a failing status.
        expect_equal(shell.run("cat /nope"), "cat: /nope: No such file or directory\n", "ENOENT", shell)
        expect_equal(shell.run("echo $?"), "1\n", "status after failure", shell)
        expect_match(r"Directory not empty", shell.run("rmdir /docs"), "ENOTEMPTY", shell)
        expect_match(r"File exists", shell.run("mkdir /docs"), "EEXIST", shell)
        expect_match(r"Not a directory", shell.run("ls /notes.txt/x"), "ENOTDIR", shell)
        expect_match(r"Is a directory", shell.run("cat /docs"), "EISDIR", shell)
        expect_match(r"^usage: ", shell.run("cp /notes.txt"), "usage line", shell)
        expect_equal(shell.run("echo $?"), "2\n", "status after usage", shell)
        expect_equal(shell.run("frobnicate"), "shell: unknown command: frobnicate\n", "unknown", shell)
        expect_equal(shell.run("echo $?"), "127\n", "status after unknown", shell)
        expect_match(r"unterminated|quote", shell.run("echo 'open"), "unterminated quote", shell)

        expect_equal(shell.run("rm /docs/deep/moved.txt /notes.txt /q.txt"), "", "rm", shell)
        expect_equal(shell.run("rmdir /docs/deep /docs"), "", "rmdir", shell)
        expect(shell.run("ls /").find("docs") < 0, "docs still listed", shell)
        expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def programs(build_dir):
    """Running programs: arguments, a NULL dereference kills only that program, and 1000
    spawn/exit cycles leave the memory figures where they started."""
    with nkboot.ShellSession(build_dir) as shell:
        out = shell.run("hello one 'two words'")
        expect_match(r'^argv\[1\] = "one"$', out, "argv[1]", shell)
        expect_match(r'^argv\[2\] = "two words"$', out, "argv[2]", shell)
        out = shell.run("fault")
        expect_match(r"killed: page fault at 0x0 ", out, "kernel report", shell)
        expect_match(r"^shell: /bin/fault killed \(page fault\)$", out, "shell report", shell)
        expect_equal(shell.run("echo $?"), "142\n", "fault status", shell)
        expect_equal(shell.run("echo still here"), "still here\n", "shell survived", shell)
        expect_equal(shell.run("/bin/false"), "", "false", shell)
        expect_equal(shell.run("echo $?"), "1\n", "false status", shell)
        expect_match(r"No such file", shell.run("/bin/nothing"), "missing program", shell)

        # Warm up once (first-use allocations such as page tables of the heap), then measure.
        shell.run("spawntest 10", timeout=60)
        before = memory_figures(shell)
        out = shell.run("spawntest 1000", timeout=600)
        expect_match(r"^spawntest: 1000 spawned, 1000 exited 0$", out, "spawntest", shell)
        after = memory_figures(shell)
        print("memory before %s, after 1000 spawn/exit: %s" % (before, after))
        expect_equal(after, before, "memory after 1000 spawn/exit cycles", shell)

        # A program that takes memory until it is refused: it gets a clean ENOMEM at its cap,
        # the kernel keeps its reserve, and everything comes back when it exits.
        out = shell.run("memhog", timeout=300)
        expect_match(r"^memhog: mapped (\d+) pages .* before MapPages failed: Out of memory$", out,
                     "memhog", shell)
        after_hog = memory_figures(shell)
        expect_equal(after_hog, before, "memory after memhog", shell)
        expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def bad_pointers(build_dir):
    """Every kind of system call handed bad pointers (NULL, unmapped, non-canonical, kernel
    image, physmap, read-only text) and bad arguments gets a clean error, never a kernel fault."""
    with nkboot.ShellSession(build_dir) as shell:
        out = shell.run("syscheck", timeout=120)
        match = expect_match(r"^syscheck: (\d+) passed, 0 failed$", out, "syscheck", shell)
        expect(int(match.group(1)) >= 60, "too few checks ran", shell)
        expect_equal(shell.run("echo $?"), "0\n", "syscheck status", shell)
        expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def init_restarts_shell(build_dir):
    """`exit` ends the shell; init notices and starts a new one."""
    with nkboot.ShellSession(build_dir) as shell:
        out = shell.run("exit 3", timeout=30)
        expect_match(r"shell.*(3|exit)", out, "init reports the shell's end", shell)
        expect_equal(shell.run("echo new shell"), "new shell\n", "a new shell answers", shell)
        ps = shell.run("ps")
        expect_match(r"/bin/shell$", ps, "ps shows the new shell", shell)


@case
def reboot(build_dir):
    """`reboot` resets the machine (QEMU runs with -no-reboot, so it exits)."""
    shell = nkboot.ShellSession(build_dir)
    try:
        shell.send("reboot\r")
        status = shell.close(timeout=20)
        expect("system: rebooting" in shell.output, "no reboot message", shell)
        expect_equal(status, 0, "QEMU exit status", shell)
    finally:
        shell.kill()


@case
def extensions_native(build_dir):
    """`ext` loads the test extension natively, lists it, refuses bad modules with a reason, and
    unloads it with every page given back."""
    with nkboot.ShellSession(build_dir) as shell:
        before = memory_figures(shell)
        out = shell.run("ext load /lib/modules/test.ko --native")
        expect_match(r"loaded extension 'test' \(test, native\)", out, "load", shell)
        expect_match(r"^test\s+test\s+native\s+running\s+0\s+0\s+1\s+\d+ KiB$",
                     shell.run("ext list"), "ext list", shell)
        expect_match(r"File exists", shell.run("ext load /lib/modules/test.ko --native"),
                     "second load", shell)
        expect_match(r"^ext load: /etc/motd: Exec format error \(not an ELF file",
                     shell.run("ext load /etc/motd --native"), "not a module", shell)
        expect_match(r"No such file", shell.run("ext load /nope.ko --native"), "missing", shell)
        expect_match(r"^usage: ext ", shell.run("ext frob"), "usage", shell)
        expect_match(r"unloaded extension 'test'", shell.run("ext unload test"), "unload", shell)
        expect_match(r"No such file", shell.run("ext unload test"), "unload twice", shell)
        expect_equal(memory_figures(shell), before, "memory after load/unload", shell)
        expect("PANIC" not in shell.output, "kernel panic", shell)


ISOLATED_KINDS = ["null", "wild-write", "kernel-write", "stack-overflow", "hang", "hang-cli", "div0",
                  "ud", "bad-param", "double-free", "leak", "heap-scribble", "panic"]


def check_extensions_isolated(shell):
    """The demonstration: an isolated extension crashes in every way there is; each time the
    crossing is aborted, the kernel keeps running, the kernel object stays intact, and the
    extension comes back. Memory returns to its baseline after unload."""
    before = memory_figures(shell)
    out = shell.run("ext load /lib/modules/test.ko")
    expect_match(r"loaded extension 'test' \(test, isolated\)", out, "load", shell)
    for number, kind in enumerate(ISOLATED_KINDS, start=1):
        out = shell.run("ext crash test %s" % kind, timeout=60)
        expect_match(r"^test: %s: the crossing was aborted, the kernel kept running \(the "
                     r"kernel object is unchanged\); 'test' recovered \(restart \d+, \d+ us\)$"
                     % re.escape(kind), out, "crash " + kind, shell)
        expect_match(r"^nooks: extension 'test' (faulted|failed): ", out, "fault report", shell)
        # The restart policy allows 8 restarts in 10 s: reset it between kinds.
        if number % 6 == 0:
            expect_match(r"^nooks: 'test' recovered in \d+ us",
                         shell.run("ext restart test", timeout=60), "restart", shell)
    listing = shell.run("ext list")
    expect_match(r"^test\s+test\s+isolated\s+running\s+\d+\s+%d\s+" % len(ISOLATED_KINDS),
                 listing, "ext list after the crashes", shell)
    stats = shell.run("ext stats test")
    expect_match(r"^  last fault: kernel panic: extension bug: ", stats, "last fault", shell)
    expect_match(r"recovery took \d+ us$", stats, "recovery time", shell)
    expect_match(r"^  calls into the extension: .*crash\S* %d" % len(ISOLATED_KINDS), stats,
                 "per-function counts (entry points)", shell)
    expect_match(r"^  calls into the kernel: .*nk_malloc \d+", stats,
                 "per-function counts (imports)", shell)
    expect_match(r"unloaded extension 'test'", shell.run("ext unload test"), "unload", shell)
    expect_equal(memory_figures(shell), before, "memory after the crashes and unload", shell)
    expect_equal(shell.run("echo still here"), "still here\n", "shell alive", shell)
    expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def extensions_isolated(build_dir):
    """The demonstration: an isolated extension crashes in every way there is; each time the
    crossing is aborted, the kernel keeps running, the kernel object stays intact, and the
    extension comes back. Memory returns to its baseline after unload."""
    with nkboot.ShellSession(build_dir) as shell:
        check_extensions_isolated(shell)


def check_extensions_service(shell):
    """A service extension (heartbeat) runs its own thread in its domain, past the watchdog's
    limit, reports its status through the service class, and its unload stops the thread."""
    before = memory_figures(shell)
    out = shell.run("ext load /lib/modules/heartbeat.ko")
    expect_match(r"loaded extension 'heartbeat' \(service, isolated\)", out, "load", shell)
    beats = 0
    for _ in range(100):
        stats = shell.run("ext stats heartbeat")
        found = expect_match(r"^  service: (\d+) beats in \d+ s$", stats, "status", shell)
        beats = int(found.group(1))
        if beats >= 8:
            break
    expect(beats >= 8, "the heartbeat thread kept beating (%d beats)" % beats, shell)
    expect_match(r"objects held: .*thread 1 mutex 1", stats, "thread and mutex tracked", shell)
    expect_match(r"^heartbeat\s+service\s+isolated\s+running\s+0\s+0\s+", shell.run("ext list"),
                 "listed running, no faults", shell)
    # Crashed as it returns from its sleep into the extension: recovered, beating again.
    expect_match(r"^heartbeat: wild-write: the crossing was aborted, the kernel kept running "
                 r"\(the kernel object is unchanged\); 'heartbeat' recovered",
                 shell.run("ext crash heartbeat wild-write", timeout=60), "crash", shell)
    for _ in range(100):
        found = expect_match(r"^  service: (\d+) beats", shell.run("ext stats heartbeat"),
                             "status after the restart", shell)
        if int(found.group(1)) >= 3:
            break
    expect(int(found.group(1)) >= 3, "beating again after the restart", shell)
    out = shell.run("ext unload heartbeat")
    expect_match(r"heartbeat: stopped after \d+ beats", out, "exit stopped the thread", shell)
    expect_match(r"unloaded extension 'heartbeat'", out, "unload", shell)
    shell.run("echo settle")
    expect_equal(memory_figures(shell), before, "memory after unload", shell)
    expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def extensions_service(build_dir):
    """A service extension (heartbeat) runs its own thread in its domain, past the watchdog's
    limit, reports its status through the service class, and its unload stops the thread."""
    with nkboot.ShellSession(build_dir) as shell:
        check_extensions_service(shell)


def check_extensions_file_system(shell):
    """memfs, an isolated fs-class extension, is mounted with `mount` and used by the ordinary
    file commands; `umount` and `ext unload` give everything back."""
    before = memory_figures(shell)
    expect_match(r"^usage: mount \[?TYPE DEVICE DIR", shell.run("mount memfs"), "usage", shell)
    shell.run("mkdir /mnt")
    expect_match(r"^mount: /mnt: No such device", shell.run("mount memfs none /mnt"),
                 "no such type before the extension is loaded", shell)
    expect_match(r"loaded extension 'memfs' \(fs, isolated\)",
                 shell.run("ext load /lib/modules/memfs.ko"), "load", shell)
    expect_equal(shell.run("mount memfs none /mnt"), "", "mount", shell)
    shell.run("write /mnt/greeting hello from memfs")
    shell.run("mkdir /mnt/docs")
    shell.run("cp /mnt/greeting /mnt/docs/copy")
    expect_equal(shell.run("cat /mnt/docs/copy"), "hello from memfs\n", "cat", shell)
    listing = shell.run("ls -l /mnt")
    expect_match(r"greeting", listing, "ls", shell)
    expect_match(r"docs", listing, "ls", shell)
    expect_match(r"objects held: .*fs 1 volume 1", shell.run("ext stats memfs"),
                 "volume tracked", shell)
    expect_match(r"^ext unload: memfs: Device or resource busy", shell.run("ext unload memfs"), "unload refused while mounted",
                 shell)
    expect_match(r"^umount: /dev: ", shell.run("umount /dev"), "kernel mounts refused", shell)
    # A crash of the file system under the mount: armed now, fired by the next file
    # operation; the kernel and the shell carry on. The proxy mounts the volume again on the
    # restarted extension and replays the request the crash cut short — memfs keeps its files
    # in its own memory, so they are gone (a RAM disk losing power), but the mount stays and
    # works without anyone unmounting it.
    expect_match(r"^memfs: null: armed; the next call into 'memfs'",
                 shell.run("ext crash memfs null"), "armed", shell)
    out = shell.run("cat /mnt/greeting")
    expect_match(r"^cat: /mnt/greeting: ", out, "the file died with the RAM it lived in", shell)
    expect_match(r"^nooks: extension 'memfs' faulted: Page fault at "
                 r"nooks::injected_fault", out, "fault report", shell)
    expect_match(r"^memfs\s+fs\s+isolated\s+running\s+1\s+1\s+", shell.run("ext list"),
                 "restarted once", shell)
    expect_match(r"^cat: /mnt/greeting: No such file or directory",
                 shell.run("cat /mnt/greeting"), "an empty volume after the restart", shell)
    expect_match(r"volume /mnt on none: \d+ requests, 1 replayed, 1 remounts, last "
                 r"interruption \d+ us", shell.run("ext stats memfs"), "remounted, replayed",
                 shell)
    shell.run("write /mnt/again it works again")
    expect_equal(shell.run("cat /mnt/again"), "it works again\n", "after recovery", shell)
    expect_equal(shell.run("umount /mnt"), "", "umount", shell)
    expect_equal(shell.run("ls /mnt"), "", "the mount point is empty again", shell)
    expect_match(r"unloaded extension 'memfs'", shell.run("ext unload memfs"), "unload", shell)
    shell.run("rmdir /mnt")
    expect_equal(memory_figures(shell), before, "memory after unload", shell)
    expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def extensions_file_system(build_dir):
    """memfs, an isolated fs-class extension, is mounted with `mount` and used by the ordinary
    file commands; `umount` and `ext unload` give everything back."""
    with nkboot.ShellSession(build_dir) as shell:
        check_extensions_file_system(shell)


def check_extensions_restart_policy(shell):
    """Past 8 restarts in 10 s the extension stays disabled and says so; ext restart revives it."""
    shell.run("ext load /lib/modules/test.ko")
    outcomes = [shell.run("ext crash test null", timeout=60) for _ in range(9)]
    expect_match(r"'test' disabled", outcomes[-1], "disabled after 9 crashes", shell)
    expect_match(r"failed 8 times within 10 s: disabled", outcomes[-1], "policy message", shell)
    expect_match(r"Device or resource busy", shell.run("ext crash test null"), "busy", shell)
    expect_match(r"^nooks: 'test' recovered in \d+ us", shell.run("ext restart test", timeout=60),
                 "manual restart", shell)
    expect_match(r"^test\s+test\s+isolated\s+running", shell.run("ext list"), "running", shell)
    shell.run("ext unload test")  # leaves the shell as it found it (the checks run in a row)


@case
def extensions_restart_policy(build_dir):
    """Past 8 restarts in 10 s the extension stays disabled and says so; ext restart revives it."""
    with nkboot.ShellSession(build_dir) as shell:
        check_extensions_restart_policy(shell)


def check_extensions_check_policy(shell):
    """With checks set to report, a wild pointer handed to a kernel service is refused with an
    error and reported, and the extension keeps running; set back to fail, it is recovered."""
    shell.run("ext load /lib/modules/test.ko")
    expect_equal(shell.run("ext checks report"), "", "report mode", shell)
    out = shell.run("ext crash test bad-param", timeout=60)
    expect_match(r"^nooks: extension 'test': wrapper check: nk_free argument 0 = "
                 r"0xffffffff80100000 refused$", out, "reported", shell)
    expect_match(r"^test: bad-param returned 0$", out, "extension carried on", shell)
    expect_match(r"^test\s+test\s+isolated\s+running\s+0\s+0\s+", shell.run("ext list"),
                 "no fault, no restart", shell)
    expect_match(r"failed checks 1,", shell.run("ext stats test"), "counted", shell)
    expect_equal(shell.run("ext checks fail"), "", "fail mode", shell)
    expect_match(r"'test' recovered", shell.run("ext crash test bad-param", timeout=60),
                 "recovered", shell)
    expect_match(r"^ext checks: maybe: Invalid argument$", shell.run("ext checks maybe"),
                 "bad policy", shell)
    shell.run("ext unload test")


@case
def extensions_check_policy(build_dir):
    """With checks set to report, a wild pointer handed to a kernel service is refused with an
    error and reported, and the extension keeps running; set back to fail, it is recovered."""
    with nkboot.ShellSession(build_dir) as shell:
        check_extensions_check_policy(shell)


@case
def extensions_bench(build_dir):
    """`ext bench` measures native and isolated crossings in one run."""
    with nkboot.ShellSession(build_dir) as shell:
        out = shell.run("ext bench", timeout=300)
        xpc = expect_match(r"isolated null XPC kernel->extension->kernel:\s+(\d+)", out, "xpc", shell)
        cr3 = expect_match(r"one CR3 write on this CPU:\s+(\d+)", out, "cr3", shell)
        ratio = expect_match(r"XPC round trip / two CR3 writes:\s+(\d+\.\d+)", out, "ratio", shell)
        print("XPC round trip %s cycles, CR3 write %s cycles, ratio %s" % (
            xpc.group(1), cr3.group(1), ratio.group(1)))
        print(out.strip())
        expect(int(xpc.group(1)) > 0 and int(cr3.group(1)) > 0, "zero figures", shell)
        for what in ("4 KiB block read", "60-byte frame"):
            pair = expect_match(r"%s .*native/isolated:\s+(\d+) / (\d+)" % what, out, what, shell)
            expect(int(pair.group(1)) > 0 and int(pair.group(2)) > 0, what + ": no figure", shell)


@case
def native_crash_panics(build_dir):
    """The contrast: the same NULL dereference in a natively loaded extension takes the kernel
    down with a panic report."""
    shell = nkboot.ShellSession(build_dir)
    try:
        shell.run("ext load /lib/modules/test.ko --native")
        shell.send("ext crash test null\r")
        status = shell.close(timeout=30)
        expect_match(r"^PANIC: unhandled exception 14 \(Page fault\)", shell.output, "panic", shell)
        expect_equal(status, nkboot.EXIT_PANIC, "QEMU exit status", shell)
    finally:
        shell.kill()


@case
def reports(build_dir):
    """ps, mem, dmesg, uptime, lspci, irqs, bench and the syscall benchmark."""
    with nkboot.ShellSession(build_dir) as shell:
        ps = shell.run("ps")
        expect_match(r"^\s+1\s+0\s+\S+.*/bin/init$", ps, "ps shows init", shell)
        expect_match(r"/bin/shell$", ps, "ps shows the shell", shell)
        memory_figures(shell)
        expect_match(r"Nooks research kernel \(x86_64\) booting", shell.run("dmesg"), "dmesg", shell)
        expect_match(r"^up \d+:\d\d:\d\d\.\d{3}", shell.run("uptime"), "uptime", shell)
        lspci = shell.run("lspci")
        expect_match(r"8086:100e Ethernet controller", lspci, "lspci e1000", shell)
        expect_match(r"8086:7010 IDE", lspci, "lspci IDE", shell)
        irqs = shell.run("irqs")
        expect_match(r"^\s+0\s+1\s+\d+", irqs, "timer line", shell)
        bench = shell.run("bench", timeout=120)
        switch = expect_match(r"context switch, kernel thread to kernel thread: (\d+) cycles", bench,
                              "bench", shell)
        sysbench = shell.run("sysbench", timeout=300)
        call = expect_match(r"(\d+) cycles per call", sysbench, "sysbench", shell)
        print("context switch %s cycles; syscall round trip %s cycles" % (
            switch.group(1), call.group(1)))
        print(bench.strip())
        print(sysbench.strip())


@case
def line_editing(build_dir):
    """Backspace, Ctrl-C, history and arrows as a terminal sends them."""
    with nkboot.ShellSession(build_dir) as shell:
        expect_equal(shell.run("echo helxx\x7f\x7flo"), "hello\n", "backspace", shell)
        shell.send("echo abandoned\x03")
        shell.wait_for(re.escape("^C"), 10)
        shell.wait_for(re.escape(nkboot.ShellSession.PROMPT), 10)
        expect_equal(shell.run("echo kept"), "kept\n", "after Ctrl-C", shell)
        # Up arrow recalls the last line.
        shell.send("\x1b[A\r")
        chunk = shell.wait_for(re.escape(nkboot.ShellSession.PROMPT), 10)
        expect_match(r"^kept$", chunk, "history", shell)
        # Left arrow, insert.
        expect_equal(shell.run("echo ac\x1b[Db"), "abc\n", "cursor movement", shell)


@case
def garbage_input(build_dir):
    """Random bytes, control characters and broken escape sequences at the prompt: the shell and
    the kernel keep working."""
    rng = random.Random(1234)
    with nkboot.ShellSession(build_dir) as shell:
        for _ in range(20):
            noise = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 80)))
            noise = noise.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x03", b"")
            shell.send(noise + b"\x03")
            shell.wait_for(re.escape(nkboot.ShellSession.PROMPT), 20)
        shell.send(b"\x1b[\x1b[99;99\x1bO" + b"x" * 600 + b"\x03")
        shell.wait_for(re.escape(nkboot.ShellSession.PROMPT), 20)
        expect_equal(shell.run("echo alive"), "alive\n", "shell after garbage", shell)
        expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def ktest_from_shell(build_dir):
    with nkboot.ShellSession(build_dir) as shell:
        out = shell.run("ktest vfs_", timeout=120)
        expect_match(r"^\d+ passed, 0 failed$", out, "ktest summary", shell)
        expect_equal(shell.run("echo $?"), "0\n", "ktest status", shell)


@case
def poweroff(build_dir):
    """`poweroff` ends QEMU cleanly with status 0."""
    shell = nkboot.ShellSession(build_dir)
    try:
        shell.send("poweroff\r")
        status = shell.close(timeout=20)
        expect_equal(status, 0, "QEMU exit status", shell)
    finally:
        shell.kill()


if __name__ == "__main__":
    sys.exit(case.main(__doc__))
