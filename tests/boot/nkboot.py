"""Boot-test harness: makes an ISO with a chosen kernel command line, boots it in QEMU (or
Bochs) headless, collects the serial console and the exit status. Every run has a hard timeout
after which the emulator is killed, so a hung kernel fails the test instead of hanging CI.
"""
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time


class Failure(Exception):
    """A test expectation that did not hold."""


def expect(condition, message, shell=None):
    """Fails the test with `message`, and the end of the serial output when there is a session."""
    if not condition:
        tail = ("\n--- serial ---\n" + shell.output[-8000:]) if shell else ""
        raise Failure(message + tail)


def expect_match(pattern, text, what, shell=None):
    """The first match of `pattern` (multi-line) in `text`, or a failure naming `what`."""
    match = re.search(pattern, text, re.MULTILINE)
    expect(match is not None, "%s: /%s/ not in %r" % (what, pattern, text[-3000:]), shell)
    return match


class Cases:
    """A registry of test cases (functions taking the build directory) and the command-line
    runner every test script shares: `SCRIPT BUILD_DIR CASE` or `SCRIPT --list`."""

    def __init__(self):
        self.functions = {}

    def __call__(self, function):
        self.functions[function.__name__] = function
        return function

    def main(self, usage):
        if len(sys.argv) == 2 and sys.argv[1] == "--list":
            print("\n".join(self.functions))
            return 0
        if len(sys.argv) != 3 or sys.argv[2] not in self.functions:
            print(usage, file=sys.stderr)
            return 2
        try:
            self.functions[sys.argv[2]](sys.argv[1])
        except (Failure, TimeoutError) as failure:
            print("FAILED: %s" % failure)
            return 1
        print("ok")
        return 0

# isa-debug-exit: QEMU exits with (value << 1) | 1 (arch/x86/machine.h).
EXIT_SUCCESS = 33
EXIT_FAILURE = 35
EXIT_PANIC = 37
EXIT_POWEROFF = 0



class BootResult:
    def __init__(self, output, status, seconds, timed_out):
        self.output = output
        self.status = status
        self.seconds = seconds
        self.timed_out = timed_out

    def __str__(self):
        return "status=%s timed_out=%s seconds=%.2f\n--- serial ---\n%s" % (
            self.status, self.timed_out, self.seconds, self.output)


def make_iso(build_dir, cmdline, workdir):
    """An ISO like build/nooks.iso but with `cmdline` in grub.cfg."""
    iso_root = os.path.join(workdir, "iso")
    shutil.copytree(os.path.join(build_dir, "iso"), iso_root)
    config_path = os.path.join(iso_root, "boot", "grub", "grub.cfg")
    with open(config_path) as f:
        config = f.read()
    # Same menu entry (initrd, extension modules), another kernel command line.
    config = re.sub(r"(?m)^(\s*multiboot2 /boot/kernel\.elf).*$",
                    lambda m: m.group(1) + " " + cmdline, config)
    with open(config_path, "w") as f:
        f.write(config)
    iso = os.path.join(workdir, "test.iso")
    # grub-mkrescue has been seen to fail once in a few hundred runs with two of it at a time
    # (a full suite with -j2); a second attempt is made before giving up, saying why.
    for attempt in range(2):
        made = subprocess.run(["grub-mkrescue", "-o", iso, iso_root], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        if made.returncode == 0:
            return iso
        time.sleep(1.0)
    raise Failure("grub-mkrescue failed twice:\n" + made.stdout.decode(errors="replace")[-2000:])


NIC = ["-nic", "user,model=e1000,restrict=on"]


def qemu_command(iso, memory="512M", accel=None, extra=()):
    accel = accel or os.environ.get("NK_ACCEL", "tcg")
    # -cpu max under TCG: SMEP, SMAP and NX on (../shared/PLATFORM.md), so every QEMU boot runs
    # the kernel's paths for them, not only Bochs.
    cpu = ["-cpu", "max"] if accel == "tcg" else []
    # The NIC: QEMU's e1000 on user networking with restrict=on, so the guest reaches nothing
    # beyond QEMU's own DHCP server and host (10.0.2.2) — unless the test brings its own.
    nic = [] if any(a in ("-nic", "-netdev", "-net") for a in extra) else NIC
    return ["qemu-system-x86_64", "-accel", accel, *cpu, "-m", memory, "-cdrom", iso, "-boot", "d",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", *nic, *extra]


def run(command, timeout, stdin_text=None):
    start = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    timed_out = False
    try:
        output, _ = process.communicate(input=(stdin_text or "").encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        output, _ = process.communicate()
    seconds = time.monotonic() - start
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    return BootResult(text, process.returncode, seconds, timed_out)


def with_network(cmdline, net):
    """The kernel brings the network up at boot (e1000, DHCP), and its lease arrives on the
    console at any moment: tests that do not use the network boot with `nonet`, so nothing
    prints between their commands' lines."""
    if net or "nonet" in cmdline.split():
        return cmdline
    return (cmdline + " nonet").strip()


def boot_qemu(build_dir, cmdline, timeout=60, memory="512M", extra=(), net=False):
    with tempfile.TemporaryDirectory(prefix="nkboot-") as workdir:
        iso = make_iso(build_dir, with_network(cmdline, net), workdir)
        return run(qemu_command(iso, memory=memory, extra=extra), timeout)


BOCHSRC = """megs: 256
cpu: model=corei7_icelake_u, ips=200000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev={serial}
clock: sync=none
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
display_library: {display}
log: {log}
"""


def bochs_nic(workdir, host_port, guest_port, more=()):
    """bochsrc lines for Bochs' e1000 on its slirp user network, restricted (the guest reaches
    nothing beyond it), with a hostfwd from 127.0.0.1:host_port to the guest's guest_port, and
    one for each further (host_port, guest_port) pair in `more`."""
    slirp = os.path.join(workdir, "slirp.conf")
    with open(slirp, "w") as f:
        f.write("# slirp config\nrestricted = 1\n")
        for host, guest in ((host_port, guest_port),) + tuple(more):
            f.write("hostfwd = tcp:127.0.0.1:%d-:%d\n" % (host, guest))
    return ("pci: enabled=1, chipset=i440fx, slot1=e1000\n"
            "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp, script=%s\n" % slirp)


def drain_terminal(master):
    """Reads a pseudo terminal's output until it closes, throwing it away."""
    while True:
        try:
            if not os.read(master, 65536):
                return
        except OSError:
            return


def boot_bochs(build_dir, cmdline, timeout=120, until=None, disks=(), config="", during=None):
    """Boots in Bochs (its term display on a pseudo terminal of our own). Bochs exits
    with 1 even on a clean shutdown, so callers judge by the serial output. `until` is a regex
    on the serial output at which the run may stop early. `disks`: (slot, image) pairs such as
    ("ata0-slave", path) — flat raw images, geometry from their size. `config`: more bochsrc
    lines (a NIC). `during`: called with a function returning the serial output so far once
    `until` matched, while the machine still runs; the run stops when it returns."""
    with tempfile.TemporaryDirectory(prefix="nkbochs-") as workdir:
        # novga: Bochs' term display then has nothing to draw on its terminal.
        iso = make_iso(build_dir, (cmdline + " novga").strip(), workdir)
        serial = os.path.join(workdir, "serial.txt")
        rc = os.path.join(workdir, "bochsrc")
        with open(rc, "w") as f:
            f.write(BOCHSRC.format(iso=iso, serial=serial, display="term",
                                   log=os.path.join(workdir, "bochs.log")))
            for slot, image in disks:
                f.write("%s: type=disk, path=%s, mode=flat\n" % (slot, image))
            f.write(config)
        commands = os.path.join(workdir, "commands")
        with open(commands, "w") as f:
            f.write("c\n")
        # Bochs' term display draws the VGA screen on a pseudo terminal that a thread here keeps
        # draining: a terminal nobody reads fills up, and Bochs then blocks writing to it, the
        # whole machine frozen (`script`, used before, stopped reading at times).
        master, slave = pty.openpty()
        start = time.monotonic()
        process = subprocess.Popen(["bochs", "-q", "-f", rc, "-rc", commands], stdin=slave,
                                   stdout=slave, stderr=slave, start_new_session=True,
                                   env=dict(os.environ, TERM="xterm"))
        os.close(slave)
        drainer = threading.Thread(target=drain_terminal, args=(master,), daemon=True)
        drainer.start()
        timed_out = False
        while process.poll() is None:
            if time.monotonic() - start > timeout:
                timed_out = True
                break
            if until and os.path.exists(serial):
                with open(serial, errors="replace") as f:
                    # Only complete lines count: Bochs writes the serial file in chunks, and a
                    # line cut in half would otherwise end the run before its rest arrives.
                    complete = f.read().rpartition("\n")[0]
                    if re.search(until, complete, re.MULTILINE):
                        if during:
                            def serial_so_far():
                                with open(serial, errors="replace") as g:
                                    return g.read().replace("\r\n", "\n")
                            during(serial_so_far)
                        # And a moment for whatever follows to be flushed too.
                        time.sleep(0.5)
                        break
            time.sleep(0.2)
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
        seconds = time.monotonic() - start
        text = ""
        if os.path.exists(serial):
            with open(serial, errors="replace") as f:
                text = f.read().replace("\r\n", "\n")
        return BootResult(text, process.returncode, seconds, timed_out)


class ShellSession:
    """An interactive boot: QEMU with the serial console on pipes, a reader thread collecting
    output, and helpers to type a command and read what it printed up to the next prompt.
    Always used as a context manager so QEMU is killed whatever happens."""

    PROMPT = "nk> "

    def __init__(self, build_dir, cmdline="", memory="512M", boot_timeout=60, extra=(),
                 net=False):
        import threading
        self._workdir = tempfile.TemporaryDirectory(prefix="nkshell-")
        iso = make_iso(build_dir, with_network(cmdline, net), self._workdir.name)
        self.process = subprocess.Popen(qemu_command(iso, memory=memory, extra=extra),
                                        stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._consumed = 0
        self.wait_for(re.escape(self.PROMPT), boot_timeout)

    def _read(self):
        while True:
            chunk = self.process.stdout.read1(4096)
            if not chunk:
                return
            with self._lock:
                self._output += chunk

    @property
    def output(self):
        with self._lock:
            return self._output.decode("utf-8", "replace").replace("\r\n", "\n")

    def wait_for(self, pattern, timeout):
        """Waits until `pattern` appears after the consumed part; returns the text up to and
        including the match and consumes it."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.output
            match = re.search(pattern, text[self._consumed:], re.MULTILINE)
            if match:
                end = self._consumed + match.end()
                chunk = text[self._consumed:end]
                self._consumed = end
                return chunk
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise TimeoutError("waiting for /%s/; output so far:\n%s" % (pattern, text))
            time.sleep(0.05)

    def send(self, data):
        self.process.stdin.write(data.encode() if isinstance(data, str) else data)
        self.process.stdin.flush()

    def run(self, command, timeout=30):
        """Types a command line and returns what it printed (without the echo or the prompt)."""
        self.send(command + "\r")
        chunk = self.wait_for(re.escape(self.PROMPT), timeout)
        body = chunk[:-len(self.PROMPT)]
        # The first line is the shell's echo of what was typed.
        lines = body.split("\n", 1)
        return lines[1] if len(lines) > 1 else ""

    def close(self, timeout=10):
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._workdir.cleanup()
        return self.process.returncode

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self._workdir.cleanup()
