#!/usr/bin/env python3
"""Boot tests of the careless driver (drivers/buggy): one bug per load, several per class of the
bugs real drivers have. Each must end in a refused load, a recovery or a disabled extension, with
a message said once, the kernel still answering, and memory back at its baseline after unload.

usage: careless_driver_tests.py BUILD_DIR CASE      (--list prints the cases)
"""
import re
import sys
import time

import nkboot
import shell_tests

case = nkboot.Cases()
Failure = nkboot.Failure

MODULE = "/lib/modules/buggy.ko"


def expect(condition, message, shell):
    if not condition:
        raise Failure(message + "\n--- serial ---\n" + shell.output[-8000:])


def expect_match(pattern, text, what, shell):
    match = re.search(pattern, text, re.MULTILINE)
    expect(match is not None, "%s: /%s/ not in %r" % (what, pattern, text), shell)
    return match


def count(pattern, text):
    return len(re.findall(pattern, text, re.MULTILINE))


def memory(shell):
    text = shell.run("mem")
    frames = expect_match(r"^frames: \d+ total \(\d+ KiB\), (\d+) free", text, "mem", shell)
    heap = expect_match(r"^heap: (\d+) live allocations", text, "mem", shell)
    threads = expect_match(r"^threads: (\d+) live", text, "mem", shell)
    return (int(frames.group(1)), int(heap.group(1)), int(threads.group(1)))


def baseline(shell):
    """Memory after one clean load and unload (first uses of slab size classes keep a page)."""
    expect_match(r"loaded extension 'buggy'", shell.run("ext load %s" % MODULE), "warm load", shell)
    expect_match(r"unloaded extension 'buggy'", shell.run("ext unload buggy"), "warm unload",
                 shell)
    return memory(shell)


def expect_alive(shell):
    # (Kernel log lines may come in between, from a recovery in the background.)
    expect(re.search(r"^alive$", shell.run("echo alive"), re.MULTILINE) is not None,
           "the shell no longer answers", shell)


def expect_gone(shell, before):
    listing = shell.run("ext list")
    expect("buggy" not in listing, "buggy still listed: %r" % listing, shell)
    expect_alive(shell)
    after = memory(shell)
    expect(after == before, "memory not back at baseline: %r then %r" % (before, after), shell)


def wait_for_log(shell, pattern, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if re.search(pattern, shell.output, re.MULTILINE):
            return
        time.sleep(0.1)
    expect(False, "no line matches /%s/" % pattern, shell)


def wait_for_state(shell, state, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listing = shell.run("ext list")
        if re.search(r"^buggy\s+service\s+isolated\s+%s\b" % state, listing, re.MULTILINE):
            return listing
        time.sleep(0.2)
    expect(False, "buggy never reached state %s" % state, shell)


def fire_armed_fault(shell):
    """`ext crash buggy null`, fired by the next crossing (the status call of `ext stats`)."""
    expect_match(r"armed", shell.run("ext crash buggy null", timeout=30), "armed", shell)
    return shell.run("ext stats buggy", timeout=30)


# ---- The classes, each a function of a running shell (the `all_classes` case runs them all in
# one boot).

def check_init(shell):
    before = baseline(shell)
    causes = {
        "init-null": r"Page fault at \S+",
        "init-bad-free": r"wrapper check: nk_free argument 0 = 0xffffffff80100000",
        "init-hang": r"watchdog: ran \d+ ms without returning",
        "init-sleep-forever": r"ran past its time limit \(sleeping included\)",
    }
    for bug, cause in causes.items():
        out = shell.run("ext load %s bug=%s" % (MODULE, bug), timeout=30)
        expect_match(r"^ext load: %s: Operation aborted \(init\(\) of 'buggy' failed: %s" %
                     (re.escape(MODULE), cause), out, bug, shell)
        expect(count(r"its start fails", out) == 1, "%s: one failure, said once" % bug, shell)
        expect(count(r"recovering|could not be restarted", out) == 0,
               "%s: a failed first load is not recovered" % bug, shell)
        expect_gone(shell, before)
    # A fault in init during a recovery: one attempt, counted, said once; the extension is left
    # failed (resources released) until restarted or unloaded.
    shell.run("ext load %s bug=reinit-null" % MODULE)
    fire_armed_fault(shell)
    listing = wait_for_state(shell, "failed", 10)
    expect_match(r"^buggy\s+service\s+isolated\s+failed\s+1\s+2\s", listing,
                 "one restart attempt counted, two faults", shell)
    expect(count(r"could not be restarted \(attempt 1\)", shell.output) == 1,
           "the failed re-init is reported once", shell)
    expect_match(r"^nooks: 'buggy' could not be restarted \(attempt 2\)",
                 shell.run("ext restart buggy", timeout=30), "a manual restart is an attempt too",
                 shell)
    shell.run("ext unload buggy")
    expect_gone(shell, before)


def check_interrupt_context(shell):
    before = baseline(shell)
    for bug in ("timer-sleep", "timer-mutex", "timer-thread-stop"):
        shell.run("ext load %s bug=%s" % (MODULE, bug))
        # Every incarnation arms the same timer: the restart policy ends the loop.
        listing = wait_for_state(shell, "disabled", 20)
        expect_match(r"^buggy\s+service\s+isolated\s+disabled\s+8\s+9\s", listing,
                     "%s: 8 restarts, then disabled" % bug, shell)
        expect_match(r"^nooks: extension 'buggy' failed: kernel panic: a blocking call \(sleep, "
                     r"wait, lock\) from interrupt context; recovering$", shell.output,
                     "%s: failed before blocking" % bug, shell)
        shell.run("ext unload buggy")
        expect_gone(shell, before)
    # A timer callback that polls forever runs with interrupts off, where no tick can see it:
    # the NMI watchdog does.
    shell.run("ext load %s bug=timer-hang" % MODULE)
    wait_for_log(shell, r"nooks: extension 'buggy' failed: watchdog: ran \d+ ms without returning; "
                 r"recovering$", 10)
    expect_alive(shell)
    shell.run("ext unload buggy", timeout=30)
    expect_gone(shell, before)


def check_cpu_state(shell):
    before = baseline(shell)
    out = shell.run("ext load %s bug=dir-flag" % MODULE)
    # The kernel formatted and copied the line with the direction flag the extension had set.
    expect_match(r"^\[buggy\] dir-flag: this line reached the log intact$", out, "dir-flag", shell)
    expect_match(r"loaded extension 'buggy'", out, "dir-flag loads", shell)
    expect_match(r"^README\.txt$", shell.run("ls /"), "ls after dir-flag", shell)
    shell.run("ext unload buggy")
    expect_gone(shell, before)
    # init returns with every callee-saved register and the frame pointer trashed.
    expect_match(r"loaded extension 'buggy'", shell.run("ext load %s bug=clobber" % MODULE),
                 "clobber loads", shell)
    expect_match(r"service: bug clobber, incarnation 1", shell.run("ext stats buggy"),
                 "clobber runs", shell)
    # The crossing trace: both directions, arguments, results, oldest first.
    trace = shell.run("ext trace buggy")
    expect_match(r"^last crossings of 'buggy', oldest first", trace, "trace header", shell)
    expect_match(r"^\s+\d+\.\d{6} in  buggy_init\(0x0, 0x0, 0x0\) -> 0x0$", trace, "init", shell)
    expect_match(r"^\s+\d+\.\d{6} out nk_param\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x20\) -> 0x7$", trace,
                 "nk_param('bug') returned the length of 'clobber'", shell)
    expect_match(r"\(anonymous namespace\)::status\(0x[0-9a-f]+, 0xc0, 0x0\) -> 0x0$", trace,
                 "the status call", shell)
    expect_match(r"^ext trace: nosuch: No such file", shell.run("ext trace nosuch"), "unknown",
                 shell)
    shell.run("ext unload buggy")
    expect_gone(shell, before)


def check_unload(shell):
    before = baseline(shell)
    # A fault in exit(): the unload goes on and frees everything.
    shell.run("ext load %s bug=exit-null" % MODULE)
    out = shell.run("ext unload buggy", timeout=30)
    expect_match(r"^nooks: extension 'buggy' faulted: Page fault at .*buggy_exit.*; the unload "
                 r"goes on$", out, "exit fault", shell)
    expect_match(r"^nooks: unloaded extension 'buggy'$", out, "unloaded", shell)
    expect_gone(shell, before)
    # Unloading while a recovery is under way (its re-init polls for 3 s): the unload waits for
    # it, then frees everything.
    shell.run("ext load %s bug=reinit-poll-sleep" % MODULE)
    fire_armed_fault(shell)
    out = shell.run("ext unload buggy", timeout=30)
    expect_match(r"could not be restarted \(attempt 1\)", out, "recovery ran out first", shell)
    expect_match(r"^nooks: unloaded extension 'buggy'$", out, "then unloaded", shell)
    expect_gone(shell, before)


def check_bounded_recovery(shell):
    before = baseline(shell)
    shell.run("ext load /lib/modules/heartbeat.ko")
    for bug, cause in (("reinit-poll-sleep", r"ran past its time limit"),
                       ("reinit-poll", r"watchdog: ran \d+ ms")):
        shell.run("ext load %s bug=%s" % (MODULE, bug))
        fire_armed_fault(shell)
        # While buggy's re-init hangs, another extension's recovery goes through.
        start = time.monotonic()
        out = shell.run("ext crash heartbeat null", timeout=30)
        expect_match(r"'heartbeat' recovered", out, "heartbeat recovers meanwhile", shell)
        listing = wait_for_state(shell, "failed", 10)
        expect(time.monotonic() - start < 8, "the stuck re-init was not bounded", shell)
        expect_match(r"^heartbeat\s+service\s+isolated\s+running", listing, "heartbeat", shell)
        expect_match(r"failed: %s.*; its start fails" % cause, shell.output, bug, shell)
        shell.run("ext unload buggy")
    shell.run("ext unload heartbeat")
    expect_gone(shell, before)


def check_threads(shell):
    before = baseline(shell)
    # exit() stops a thread that never looks at its stop request: bounded, the extension is
    # failed, the unload finishes.
    shell.run("ext load %s bug=thread-ignore-stop" % MODULE)
    start = time.monotonic()
    out = shell.run("ext unload buggy", timeout=30)
    expect(time.monotonic() - start < 10, "the stop was not bounded", shell)
    expect_match(r"^nooks: extension 'buggy' failed: thread buggy:ignorer ignored its stop "
                 r"request for 2000 ms; the unload goes on$", out, "ignored stop", shell)
    expect_match(r"^nooks: unloaded extension 'buggy'$", out, "unloaded", shell)
    expect_gone(shell, before)
    # A deadlock: the status call waits for a mutex a thread of the extension never gives back.
    shell.run("ext load %s bug=deadlock" % MODULE)
    out = shell.run("ext stats buggy", timeout=30)
    expect_match(r"^nooks: extension 'buggy' failed: deadlock: waited 5000 ms for a mutex held "
                 r"by thread buggy:holder; recovering$", out, "deadlock detected", shell)
    listing = wait_for_state(shell, "running", 10)
    expect_match(r"^buggy\s+service\s+isolated\s+running\s+1\s+1\s", listing, "recovered", shell)
    shell.run("ext unload buggy", timeout=30)
    expect_gone(shell, before)


def check_irq_storm(shell):
    before = baseline(shell)
    # QEMU's e1000 raises a link-change interrupt that the first incarnation's handler never
    # acknowledges: the level-triggered line keeps firing.
    shell.run("ext load %s bug=irq-storm" % MODULE)
    wait_for_log(shell, r"irq: interrupt storm on IRQ (\d+): \d+ interrupts, \d+% of the time "
                 r"in its handlers; line masked$", 20)
    wait_for_log(shell, r"nooks: extension 'buggy' failed: interrupt storm on IRQ \d+: its "
                 r"handler did not quiet the device; recovering$", 10)
    listing = wait_for_state(shell, "running", 10)
    expect_match(r"^buggy\s+service\s+isolated\s+running\s+1\s+1\s", listing, "recovered", shell)
    # The new copy enabled the device's interrupts again and acknowledges them.
    expect_match(r"incarnation 2, [1-9]\d* interrupts", shell.run("ext stats buggy"),
                 "the restarted driver takes interrupts", shell)
    irqs = shell.run("irqs")
    expect_match(r"^\s*\d+\s+1\s+\d+\s+\d+\s+\d+\s+1$", irqs, "one storm counted, line live",
                 shell)
    shell.run("ext unload buggy")
    expect_gone(shell, before)


def check_privileged(shell):
    before = baseline(shell)
    # At CPL 1 with IOPL 0 each of these faults at once (a general protection fault), long before
    # the 500 ms watchdog could see a hang; the extension is recovered.
    for bug in ("cli", "hlt", "outb-pic", "wrmsr", "mov-cr3", "port-unclaimed"):
        shell.run("ext load %s bug=%s" % (MODULE, bug))
        out = shell.run("ext stats buggy", timeout=30)
        fault = expect_match(r"^nooks: extension 'buggy' faulted: General protection at "
                             r"\(anonymous namespace\)::status\(.*\)\+0x[0-9a-f]+, (\d+) us into "
                             r"the call; recovering$", out, bug, shell)
        expect(int(fault.group(1)) < 100000, "%s: caught after %s us" % (bug, fault.group(1)),
               shell)
        listing = wait_for_state(shell, "running", 10)
        expect_match(r"^buggy\s+service\s+isolated\s+running\s+1\s+1\s", listing,
                     "%s: recovered" % bug, shell)
        expect_alive(shell)
        shell.run("ext unload buggy")
        expect_gone(shell, before)


def check_ports_and_spinlocks(shell):
    before = baseline(shell)
    # Its own claimed ports (legacy ATA, the bus-master BAR, rep insw): no crossing, no fault.
    shell.run("ext load %s bug=port-io" % MODULE)
    stats = shell.run("ext stats buggy")
    expect_match(r"service: bug port-io, .* 6 port reads", stats, "port reads", shell)
    expect_match(r"faults 0, restarts 0", stats, "no fault", shell)
    expect("nk_inb" not in stats, "port I/O went through the kernel", shell)
    shell.run("ext unload buggy")
    expect_gone(shell, before)
    # A spinlock shared with a 1 ms timer: the mask keeps the timer out of it, and the timer
    # callbacks held back run at the unlock.
    shell.run("ext load %s bug=spinlock" % MODULE)
    stats = shell.run("ext stats buggy", timeout=30)
    ticks = expect_match(r"(\d+) locked ticks, 0 violations", stats, "never inside", shell)
    expect(int(ticks.group(1)) > 0, "the timer ran", shell)
    # (The counters are printed before the status call runs: look again.)
    expect_match(r"nk_irq_resume [1-9]", shell.run("ext stats buggy", timeout=30),
                 "held-back callbacks ran at unlock", shell)
    shell.run("ext unload buggy")
    expect_gone(shell, before)
    # A spinlock never released: the CPL 1 form of a `cli` left on.
    shell.run("ext load %s bug=spinlock-leak" % MODULE)
    expect_match(r"^nooks: extension 'buggy' failed: returned with its interrupt mask up \(a "
                 r"spinlock held\); recovering$", shell.run("ext stats buggy"), "mask left up",
                 shell)
    wait_for_state(shell, "running", 10)
    shell.run("ext unload buggy")
    expect_gone(shell, before)


def check_leaks(shell):
    before = baseline(shell)
    limits = {"leak-heap": ("heap pages", r"-12"), "leak-dma": ("DMA pages", r"-12"),
              "leak-timers": ("timers", r"-122"), "leak-threads": ("threads", r"-122"),
              "leak-irqs": ("IRQ handlers", r"-122"), "leak-devices": ("devices", r"-122")}
    for bug, (resource, error) in limits.items():
        expect_match(r"loaded extension 'buggy'", shell.run("ext load %s bug=%s" % (MODULE, bug)),
                     bug, shell)
        # A thread of the extension takes one after another until refused.
        # (Lines the kernel logs by itself may follow a prompt on the same line.)
        wait_for_log(shell, r"\[buggy\] buggy: %s: \d+ granted, then %s$" % (bug, error), 60)
        wait_for_log(shell, r"nooks: extension 'buggy' reached its limit of \d+ %s: refused$" %
                     resource, 5)
        expect_match(r"refused: %s 1$" % resource, shell.run("ext stats buggy"), "counted", shell)
        # The kernel's own allocations still work: files, a program, another extension.
        expect_match(r"^README\.txt$", shell.run("ls /"), "ls while %s" % bug, shell)
        expect_match(r"^Hello from user space", shell.run("hello"), "hello while %s" % bug, shell)
        expect_match(r"loaded extension 'test'", shell.run("ext load /lib/modules/test.ko"),
                     "another extension loads while %s" % bug, shell)
        shell.run("ext unload test")
        shell.run("ext unload buggy", timeout=30)
        expect_gone(shell, before)


def session(build_dir):
    # nostorage: the careless driver claims the IDE controller for its port tests, which the
    # storage stack would otherwise hold from boot.
    return nkboot.ShellSession(build_dir, cmdline="nostorage")


@case
def careless_init(build_dir):
    """Faults and hangs in init, on the first load and on a re-init: the load fails, once."""
    with session(build_dir) as shell:
        check_init(shell)


@case
def careless_interrupt_context(build_dir):
    """Blocking calls from a timer callback fail the extension before they block."""
    with session(build_dir) as shell:
        check_interrupt_context(shell)


@case
def careless_cpu_state(build_dir):
    """Flags and callee-saved registers an extension leaves behind do not reach the kernel."""
    with session(build_dir) as shell:
        check_cpu_state(shell)


@case
def careless_unload(build_dir):
    """A fault in exit, and an unload racing a recovery: nothing lost, nothing leaked."""
    with session(build_dir) as shell:
        check_unload(shell)


@case
def careless_bounded_recovery(build_dir):
    """A re-init that never finishes is bounded and holds up no other extension's recovery."""
    with session(build_dir) as shell:
        check_bounded_recovery(shell)


@case
def careless_threads(build_dir):
    """Threads that ignore stop requests and deadlocks end in a failed extension, in bounded
    time."""
    with session(build_dir) as shell:
        check_threads(shell)


@case
def careless_irq_storm(build_dir):
    """An interrupt line its owner's handler does not quiet is masked and charged to it."""
    with session(build_dir) as shell:
        check_irq_storm(shell)


@case
def careless_privileged(build_dir):
    """Privileged instructions and unclaimed ports from an isolated extension fault at once."""
    with session(build_dir) as shell:
        check_privileged(shell)


@case
def careless_ports_and_spinlocks(build_dir):
    """Claimed ports need no crossing; spinlocks keep the extension's own timer out."""
    with session(build_dir) as shell:
        check_ports_and_spinlocks(shell)


@case
def careless_native_contrast(build_dir):
    """The same binary loaded natively: nothing stands between its instructions and the machine.
    The port read that faults at once when isolated simply happens."""
    with session(build_dir) as shell:
        shell.run("ext load %s --native bug=port-unclaimed" % MODULE)
        stats = shell.run("ext stats buggy")
        expect_match(r"^extension buggy \(service, native\): running$", stats, "native", shell)
        expect_match(r"service: bug port-unclaimed, incarnation 1", stats, "the read happened",
                     shell)
        expect("faulted" not in shell.output, "no fault natively", shell)
        shell.run("ext unload buggy")


@case
def careless_leaks(build_dir):
    """Leaking memory, DMA buffers, timers, threads, IRQ handlers and devices stops at the
    extension's limits; the kernel keeps working."""
    with session(build_dir) as shell:
        check_leaks(shell)


@case
def careless_all_classes(build_dir):
    """Every class in one boot, one after the other; then, in that same boot, the Nooks shell
    tests and the Nooks self tests still pass."""
    with session(build_dir) as shell:
        for check in (check_init, check_interrupt_context, check_cpu_state, check_unload,
                      check_bounded_recovery, check_threads, check_leaks, check_irq_storm,
                      check_privileged, check_ports_and_spinlocks):
            check(shell)
        for check in (shell_tests.check_extensions_isolated, shell_tests.check_extensions_service,
                      shell_tests.check_extensions_file_system,
                      shell_tests.check_extensions_restart_policy,
                      shell_tests.check_extensions_check_policy):
            check(shell)
        out = shell.run("ktest nooks_", timeout=240)
        match = expect_match(r"^(\d+) passed, (\d+) failed$", out, "ktest", shell)
        expect(int(match.group(2)) == 0 and int(match.group(1)) >= 15, "nooks self tests", shell)
        expect_alive(shell)


if __name__ == "__main__":
    sys.exit(case.main(__doc__))
