#!/usr/bin/env python3
"""The network benchmark (`./nk bench net`): TCP throughput between Debian's iperf 2 on the host
and lwIP's iperf in the guest, receive and send, with the guest's CPU busy share and the ping
round trip beside each — the e1000 driver native, then isolated, in paired boots on this machine.
Prints the table with the isolated/native ratios and the frames per crossing.

QEMU's user network with restrict=on: the host reaches the guest through a hostfwd on
127.0.0.1, the guest the host's iperf server through a guestfwd; nothing else is contacted.

With --bochs: in Bochs (icelake, with PCID: a crossing does not flush the TLB) on its e1000 and
restricted slirp with hostfwds on 127.0.0.1 only; the guest's services start at boot (`iperfd`),
since nothing can be typed there. Receive: the host's iperf client against lwiperf. Send: the
guest cannot connect out (no guestfwd in Bochs' slirp), so the host connects to the guest's TCP
source (port 5002), which sends for as long, and reads it all. Bochs runs the guest far slower
than the host: its figures count as ratios only.

With --runs N: N pairs of boots in turn, each pair's table, then the median ratio and its range
(under TCG, QEMU, iperf and slirp share the host's two cores: single pairs swing).

usage: net_bench.py BUILD_DIR [SECONDS] [--bochs] [--runs N]
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "boot"))
import net_tests  # noqa: E402  (booted, nic, free_port)
import nkboot  # noqa: E402  (boot_bochs)
from bench_options import median_range, options_or_exit  # noqa: E402
import tempfile  # noqa: E402


def measure(build_dir, mode, seconds):
    """One boot: receive (host iperf client -> guest), send (guest -> host iperf server), ping."""
    host_port, server_port = net_tests.free_port(), net_tests.free_port()
    server = subprocess.Popen(["iperf", "-s", "-B", "127.0.0.1", "-p", str(server_port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(0.5)  # QEMU connects the guestfwd to it at start-up
    figures = {}
    try:
        cmdline = "nostorage" + (" net=native" if mode == "native" else "")
        nic = net_tests.nic(hostfwd=[(host_port, 5001)], guestfwd=[(5001, server_port)])
        with net_tests.booted(build_dir, nic, cmdline=cmdline) as shell:
            expect = r"loaded extension 'e1000' \(net, %s\)" % mode
            if not re.search(expect, shell.output):
                raise SystemExit("e1000 is not %s:\n%s" % (mode, shell.output[-3000:]))
            shell.send("iperf -s\r")
            shell.wait_for(r"iperf -s", 10)
            time.sleep(1.0)
            subprocess.run(["iperf", "-c", "127.0.0.1", "-p", str(host_port), "-t", str(seconds)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=seconds + 60)
            out = shell.wait_for(re.escape(shell.PROMPT), 60)
            figures["receive"] = parse(out, "received")
            out = shell.run("iperf -c 10.0.2.100", timeout=90)
            figures["send"] = parse(out, "sent")
            out = shell.run("ping 10.0.2.2 -c 20 -i 20", timeout=60)
            match = re.search(r"rtt min/avg/max [\d.]+/([\d.]+)/", out)
            figures["rtt_ms"] = float(match.group(1)) if match else None
            stats = shell.run("ext stats e1000")
            rx = re.search(r"([\d.]+) frames per rx batch", stats)
            tx = re.search(r"([\d.]+) frames per tx call", stats)
            figures["rx_batch"] = float(rx.group(1)) if rx else None
            figures["tx_batch"] = float(tx.group(1)) if tx else None
    finally:
        server.kill()
        server.wait()
    return figures


def read_source(port, limit_seconds):
    """Reads everything the guest's TCP source (`iperfd`, port 5002) sends, until it closes;
    returns the byte count."""
    total = 0
    with socket.create_connection(("127.0.0.1", port), timeout=limit_seconds) as connection:
        until = time.monotonic() + limit_seconds
        while time.monotonic() < until:
            data = connection.recv(1 << 20)
            if not data:
                return total
            total += len(data)
    raise SystemExit("the guest's TCP source did not finish within %d s" % limit_seconds)


def measure_bochs(build_dir, mode, seconds):
    """One Bochs boot: the host's iperf client sends to the guest for `seconds` (receive), then
    the host reads from the guest's TCP source for as long (send)."""
    port, source_port = net_tests.free_port(), net_tests.free_port()
    figures = {}
    with tempfile.TemporaryDirectory(prefix="nkbench-") as workdir:
        config = nkboot.bochs_nic(workdir, port, 5001, more=[(source_port, 5002)])

        def wait_for(serial, verb):
            # The whole line: Bochs writes its serial file in chunks.
            until = time.monotonic() + 120
            while time.monotonic() < until and not re.search(RESULT % verb + r"\n", serial()):
                time.sleep(0.5)
            return parse(serial(), verb)

        def during(serial):
            time.sleep(2.0)
            subprocess.run(["iperf", "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=seconds + 120)
            figures["receive"] = wait_for(serial, "received")
            read = read_source(source_port, seconds + 120)
            figures["send"] = wait_for(serial, "sent")
            if read != figures["send"]["bytes"]:
                raise SystemExit("the host read %d bytes, the guest reports %d acknowledged"
                                 % (read, figures["send"]["bytes"]))

        cmdline = ("nostorage iperfd iperfd.seconds=%d" % seconds
                   + (" net=native" if mode == "native" else ""))
        result = nkboot.boot_bochs(build_dir, cmdline, timeout=900,
                                   until=r"^net: eth0 10\.0\.2\.15", config=config,
                                   during=during)
        if "receive" not in figures:
            raise SystemExit("no result from Bochs:\n" + result.output[-3000:])
    return figures


RESULT = r"iperf: %s (\d+) bytes in (\d+) ms: (\d+) kbit/s; cpu (\d+)%% busy"


def parse(text, verb):
    match = re.search(RESULT % verb, text)
    if not match:
        raise SystemExit("no iperf result in %r" % text[-2000:])
    return {"bytes": int(match.group(1)), "mbit": int(match.group(3)) / 1000.0,
            "cpu": int(match.group(4))}


def print_table(native, isolated, bochs):
    print("%-22s %12s %12s %7s   %s" % ("", "native", "isolated", "ratio", "guest CPU busy"))
    for key, name in (("receive", "receive (host->guest)"), ("send", "send (guest->host)")):
        n, i = native[key], isolated[key]
        print("%-22s %8.1f Mb/s %7.1f Mb/s %7.2f   %d%% -> %d%%"
              % (name, n["mbit"], i["mbit"], i["mbit"] / n["mbit"] if n["mbit"] else 0,
                 n["cpu"], i["cpu"]))
    if bochs:
        return
    print("%-22s %9.3f ms %9.3f ms" % ("ping rtt (avg)", native["rtt_ms"] or 0,
                                       isolated["rtt_ms"] or 0))
    print("frames per crossing (isolated): %.2f per rx batch, %.2f per tx call"
          % (isolated["rx_batch"] or 0, isolated["tx_batch"] or 0))


def main():
    build_dir, seconds, bochs, runs = options_or_exit(sys.argv[1:], __doc__, "iperf", "net_bench")
    if bochs:
        print("TCP throughput, Bochs 2.7 (icelake, PCID), e1000 on slirp; receive: iperf 2 on "
              "the host -> lwiperf; send: the guest's TCP source -> a reader on the host")
    else:
        print("TCP throughput, QEMU TCG (-cpu max), e1000 on user networking; iperf 2 on the "
              "host, lwiperf in the guest")
    run = measure_bochs if bochs else measure
    ratios = {"receive": [], "send": []}
    cpu = {"receive": [], "send": []}
    for index in range(runs):
        # Pairs in turn, native first: a slow spell of the host falls on both sides alike.
        native = run(build_dir, "native", seconds)
        isolated = run(build_dir, "isolated", seconds)
        if runs > 1:
            print("pair %d of %d:" % (index + 1, runs))
        print_table(native, isolated, bochs)
        for key in ratios:
            if native[key]["mbit"]:
                ratios[key].append(isolated[key]["mbit"] / native[key]["mbit"])
            cpu[key].append(isolated[key]["cpu"] - native[key]["cpu"])
    if runs > 1:
        for key in ratios:
            points = sorted(cpu[key])
            print("%s, isolated/native over %d pairs: median %s; CPU %+d points (median)"
                  % (key, runs, median_range(ratios[key]), points[len(points) // 2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
