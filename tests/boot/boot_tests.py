#!/usr/bin/env python3
"""Boot tests: each case boots the ISO with a command line and asserts on the serial output and
the emulator's exit status.

usage: boot_tests.py BUILD_DIR CASE      (boot_tests.py --list prints the cases)
"""
import glob
import os
import re
import sys

import nkboot

case = nkboot.Cases()
Failure = nkboot.Failure


def expect(condition, message, result):
    if not condition:
        raise Failure("%s\n%s" % (message, result))


def expect_line(pattern, result):
    match = re.search(pattern, result.output, re.MULTILINE)
    expect(match is not None, "no line matches /%s/" % pattern, result)
    return match


@case
def banner(build_dir):
    """A plain boot shows the banner, memory map summary and CPU features, then powers off."""
    result = nkboot.boot_qemu(build_dir, "poweroff", timeout=60)
    expect(not result.timed_out, "timed out", result)
    expect_line(r"^Nooks research kernel \(x86_64\) booting$", result)
    # (The harness adds `nonet` to a test that does not use the network: nkboot.with_network.)
    expect_line(r"^boot: loader \"GRUB [^\"]*\", command line \"poweroff nonet\"$", result)
    shipped = len(glob.glob(os.path.join(build_dir, "drivers", "*.ko")))
    match = expect_line(r"^boot: (\d+) extension modules? in /lib/modules$", result)
    expect(int(match.group(1)) == shipped, "expected %d modules published" % shipped, result)
    match = expect_line(r"^memory: (\d+) KiB available in (\d+) of (\d+) regions", result)
    # QEMU -m 512M: between 500 and 512 MiB available.
    available_kib = int(match.group(1))
    expect(500 * 1024 <= available_kib <= 512 * 1024, "unexpected memory size", result)
    match = expect_line(r"^memory: frames (\d+) total, (\d+) free, (\d+) used", result)
    total, free, used = map(int, match.groups())
    expect(total == free + used and used > 0, "frame counts inconsistent", result)
    expect_line(r"^cpu: enabled nx wp", result)
    expect_line(r"^clock: TSC \d+\.\d{3} MHz, tick 1000 Hz$", result)
    match = expect_line(r"^boot: kernel initialised in (\d+)\.(\d{3}) ms since entry$", result)
    print("kernel initialisation: %s.%s ms since entry; QEMU process %.2f s to power-off" % (
        match.group(1), match.group(2), result.seconds))
    expect("PANIC" not in result.output, "unexpected panic", result)
    expect(result.status == nkboot.EXIT_POWEROFF, "expected ACPI power-off (status 0)", result)


@case
def ktest_all(build_dir):
    """`ktest` runs every in-kernel self test and exits with the pass code."""
    result = nkboot.boot_qemu(build_dir, "ktest", timeout=120)
    expect(not result.timed_out, "timed out", result)
    match = expect_line(r"^(\d+) passed, (\d+) failed$", result)
    passed, failed = int(match.group(1)), int(match.group(2))
    print("in-kernel self tests: %d passed, %d failed" % (passed, failed))
    expect(failed == 0, "self tests failed", result)
    expect(passed >= 10, "too few self tests ran", result)
    expect(len(re.findall(r"^ktest: pass ", result.output, re.MULTILINE)) == passed,
           "per-test lines do not match the summary", result)
    expect(result.status == nkboot.EXIT_SUCCESS, "expected the ktest pass exit code", result)


@case
def ktest_prefix(build_dir):
    """`ktest=NAME` runs only the tests whose names start with NAME."""
    result = nkboot.boot_qemu(build_dir, "ktest=heap_", timeout=60)
    names = re.findall(r"^ktest: pass (\S+)", result.output, re.MULTILINE)
    expect(names and all(n.startswith("heap_") for n in names), "prefix not honoured", result)
    expect(result.status == nkboot.EXIT_SUCCESS, "expected the ktest pass exit code", result)


def expect_panic(result, vector_pattern, function):
    expect(not result.timed_out, "timed out", result)
    expect_line(r"^PANIC: unhandled exception %s at %s\+0x[0-9a-f]+$" % (
        vector_pattern, re.escape(function)), result)
    expect_line(r"^  rip 0x[0-9a-f]{16}  rsp 0x[0-9a-f]{16}", result)
    expect_line(r"^  rax 0x[0-9a-f]{16}", result)
    expect_line(r"^backtrace:$", result)
    # The backtrace reaches the main kernel thread through the fault trigger.
    expect_line(r"^  #\d+\s+0x[0-9a-f]{16} kernel::\(anonymous namespace\)::kernel_main_thread"
                r"\(void\*\)\+0x[0-9a-f]+$", result)
    expect(result.status == nkboot.EXIT_PANIC, "expected the panic exit code", result)


@case
def panic_page_fault(build_dir):
    """A NULL write in the kernel: the report names the faulting function and CR2."""
    result = nkboot.boot_qemu(build_dir, "fault=page", timeout=60)
    expect_panic(result, r"14 \(Page fault\)", "kernel::trigger_page_fault()")
    expect_line(r"^  error code 0x2  cr2 0x0000000000000000  kernel mode$", result)
    expect_line(r"^  page fault: page not present, write, supervisor mode$", result)


@case
def panic_general_protection(build_dir):
    result = nkboot.boot_qemu(build_dir, "fault=gp", timeout=60)
    expect_panic(result, r"13 \(General protection\)", "kernel::trigger_general_protection()")


@case
def panic_invalid_opcode(build_dir):
    result = nkboot.boot_qemu(build_dir, "fault=ud", timeout=60)
    expect_panic(result, r"6 \(Invalid opcode\)", "kernel::trigger_invalid_opcode()")


@case
def panic_divide_error(build_dir):
    result = nkboot.boot_qemu(build_dir, "fault=div0", timeout=60)
    expect_panic(result, r"0 \(Divide error\)", "kernel::trigger_divide_error()")


@case
def panic_stack_overflow(build_dir):
    """Unbounded recursion runs into the guard page under the boot stack; the page fault is taken
    on its own IST stack, so the report still comes out."""
    result = nkboot.boot_qemu(build_dir, "fault=stack", timeout=60)
    expect(not result.timed_out, "timed out", result)
    match = expect_line(r"^PANIC: unhandled exception 14 \(Page fault\) at "
                        r"kernel::trigger_stack_overflow\(int\)\+0x[0-9a-f]+$", result)
    expect_line(r"^  page fault: page not present, write, supervisor mode$", result)
    expect(result.status == nkboot.EXIT_PANIC, "expected the panic exit code", result)


@case
def panic_explicit(build_dir):
    result = nkboot.boot_qemu(build_dir, "fault=panic", timeout=60)
    expect_line(r"^PANIC: deliberate panic requested on the command line$", result)
    expect_line(r"^  #\d+\s+0x[0-9a-f]{16} kernel::trigger_fault\(char const\*\)\+0x[0-9a-f]+$",
                result)
    expect(result.status == nkboot.EXIT_PANIC, "expected the panic exit code", result)


@case
def bochs_pcid(build_dir):
    """The same ISO in Bochs with an Ice Lake CPU model: boots, and PCID gets enabled."""
    result = nkboot.boot_bochs(build_dir, "poweroff", timeout=180,
                               until=r"boot: kernel initialised in")
    expect(not result.timed_out, "Bochs timed out", result)
    expect_line(r"^Nooks research kernel \(x86_64\) booting$", result)
    expect_line(r"^cpu: has nx pcid invpcid smep smap", result)
    expect_line(r"^cpu: PCID enabled$", result)
    expect_line(r"^cpu: enabled nx wp pge smep smap pcid$", result)
    expect_line(r"^boot: kernel initialised in", result)
    expect("PANIC" not in result.output, "unexpected panic", result)


@case
def bochs_ktest(build_dir):
    """The self tests also pass on Bochs' Ice Lake model, where PCID, SMEP and SMAP are on — the
    isolation tests included, with a PCID per protection domain."""
    # The tests that crash extensions by the dozen take minutes at Bochs' speed (every fault
    # report goes out over its emulated 115200-baud serial port); QEMU runs them.
    skip = ("nooks_crash_restart_1000,nooks_isolated_survives_every_crash_kind,"
            "nooks_injected_faults_of_every_kind")
    result = nkboot.boot_bochs(build_dir, "ktest ktest.skip=" + skip, timeout=180,
                               until=r"^\d+ passed, \d+ failed$")
    expect(not result.timed_out, "Bochs timed out", result)
    expect_line(r"^cpu: PCID enabled$", result)
    match = expect_line(r"^(\d+) passed, (\d+) failed$", result)
    expect(int(match.group(2)) == 0 and int(match.group(1)) >= 10, "self tests failed", result)


@case
def bochs_user_mode(build_dir):
    """A user program in Bochs, where SMEP, SMAP and PCID are on: syscheck's bad pointers all
    get EFAULT (the kernel's user copies open SMAP windows correctly, and nothing else touches
    user memory), then init's exit powers off."""
    result = nkboot.boot_bochs(build_dir, "init=/bin/syscheck", timeout=180,
                               until=r"^init \(/bin/syscheck\) exited")
    expect(not result.timed_out, "Bochs timed out", result)
    expect_line(r"^cpu: enabled nx wp pge smep smap pcid$", result)
    match = expect_line(r"^syscheck: (\d+) passed, 0 failed$", result)
    expect(int(match.group(1)) >= 60, "too few checks ran", result)
    expect_line(r"^init \(/bin/syscheck\) exited with status 0; powering off$", result)
    expect("PANIC" not in result.output, "unexpected panic", result)


@case
def init_option(build_dir):
    """init=PATH runs that program as process 1 with the console as its descriptors."""
    result = nkboot.boot_qemu(build_dir, "init=/bin/hello", timeout=60)
    expect(not result.timed_out, "timed out", result)
    expect_line(r"^Hello from user space! I am pid 1\.$", result)
    expect_line(r"^init \(/bin/hello\) exited with status 0; powering off$", result)
    expect(result.status == nkboot.EXIT_POWEROFF, "expected a clean power-off", result)


if __name__ == "__main__":
    sys.exit(case.main(__doc__))
