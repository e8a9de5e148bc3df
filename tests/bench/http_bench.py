#!/usr/bin/env python3
"""The web server benchmark (`./nk bench http`): requests per second and latency percentiles from
Debian's wrk on the host against khttpd in the guest, for a 1 KiB page and a large page (the
disk's 4 MiB file), with the whole chain native (e1000, ata, vfat and khttpd loaded natively)
and then isolated (each in its own protection domain, the default), in paired boots on this
machine. Beside each: crossings per request (calls into the isolated extensions plus their
calls to the kernel, from /_ext.json before and after the run), and the guest's CPU time per
request (its time not halted, from the same page) with the native/isolated ratio of it.

QEMU's user network with restrict=on; wrk reaches the guest through a hostfwd on 127.0.0.1 only.

With --bochs the same runs boot in Bochs (icelake model, with PCID, so a crossing does not
flush the TLB), on Bochs' e1000 and its user network (slirp, restricted, a hostfwd on 127.0.0.1).
Bochs runs the guest some hundred times slower than the host, so its figures only count as
ratios.

With --runs N: N pairs of boots in turn, each pair's table, then the median ratio and its range
(the host's two cores are shared by QEMU or Bochs, wrk and slirp: single pairs swing).

usage: http_bench.py BUILD_DIR [SECONDS] [--bochs] [--runs N]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "boot"))
import httpd_tests  # noqa: E402  (Served, get)
import make_disk_image  # noqa: E402  (on httpd_tests' path)
import net_tests  # noqa: E402  (free_port)
import nkboot  # noqa: E402  (boot_bochs)
from bench_options import median_range, options_or_exit  # noqa: E402

PAGES = (("1 KiB page", "/bench/1k.html"), ("4 MiB file", "/files/" + make_disk_image.BIG_FILE))
CONNECTIONS = 4


def counters(port):
    """Calls into and out of each extension so far, khttpd's request count, and the guest's CPU
    time not halted since boot (ms)."""
    status = json.loads(httpd_tests.get(port, "/_ext.json", timeout=120).body)
    calls = dict((r["name"], r["crossings"] + r.get("kernel_calls", 0))
                 for r in status["extensions"])
    return calls, status["server"]["requests"], status["server"]["cpu_busy_ms"]


def parse_latency(text, label):
    match = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.MULTILINE)
    if not match:
        return None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
    return float(match.group(1)) * scale


def run_wrk(port, path, seconds):
    result = subprocess.run(["wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--latency",
                             "--timeout", "10s", "http://127.0.0.1:%d%s" % (port, path)],
                            capture_output=True, text=True, timeout=seconds + 60)
    text = result.stdout
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", text, re.MULTILINE)
    if not rate or not total:
        raise SystemExit("wrk printed no result:\n%s\n%s" % (text, result.stderr))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)$", text, re.MULTILINE)
    return {"rps": float(rate.group(1)), "requests": int(total.group(1)),
            "p50": parse_latency(text, "50%"), "p90": parse_latency(text, "90%"),
            "p99": parse_latency(text, "99%"),
            "bad": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else ""}


def run_pages(port, seconds, figures):
    for _, path in PAGES:
        httpd_tests.get(port, path, timeout=120)  # warm the caches
        calls_before, requests_before, busy_before = counters(port)
        figures[path] = run_wrk(port, path, seconds)
        calls_after, requests_after, busy_after = counters(port)
        served_requests = requests_after - requests_before - 1  # the counters() call
        figures[path]["served"] = served_requests
        figures[path]["cpu_us"] = (busy_after - busy_before) * 1000.0 / max(served_requests, 1)
        per_extension = dict((name, (calls_after[name] - calls_before.get(name, 0)) /
                              max(served_requests, 1)) for name in calls_after)
        figures[path]["calls_per_request"] = sum(per_extension.values())
        figures[path]["by_extension"] = per_extension
        time.sleep(1.0)


NATIVE = "storage=native net=native httpd=native"


def measure(build_dir, mode, seconds):
    figures = {}
    with httpd_tests.Served(build_dir, cmdline="" if mode == "isolated" else NATIVE) as served:
        if served.mode != mode:
            raise SystemExit("khttpd is %s, not %s" % (served.mode, mode))
        run_pages(served.port, seconds, figures)
    return figures


def measure_bochs(build_dir, mode, seconds):
    """The same in Bochs: its e1000 on slirp (restricted; one hostfwd on 127.0.0.1)."""
    figures = {}
    port = net_tests.free_port()
    with tempfile.TemporaryDirectory(prefix="nkbench-") as workdir:
        image = os.path.join(workdir, "disk.img")
        shutil.copyfile(os.path.join(build_dir, "disk.img"), image)
        config = nkboot.bochs_nic(workdir, port, 80)
        result = nkboot.boot_bochs(
            build_dir, "" if mode == "isolated" else NATIVE, timeout=900,
            until=r"^net: eth0 10\.0\.2\.15", disks=[("ata0-slave", image)], config=config,
            during=lambda serial: run_pages(port, seconds, figures))
        if not re.search(r"^httpd: serving /disk on port 80 \(khttpd, %s\)" % mode,
                         result.output, re.MULTILINE):
            raise SystemExit("khttpd did not start %s in Bochs:\n%s" % (mode,
                                                                       result.output[-3000:]))
        if len(figures) != len(PAGES):
            raise SystemExit("the Bochs run ended early:\n" + result.output[-3000:])
    return figures


def cpu_ratio(native, isolated):
    """Native CPU time per request over isolated: what the throughput ratio would be were the
    guest's CPU the only limit. Bochs times the guest by its instruction count, so this one
    holds from run to run where wrk's wall-clock rates swing with the host."""
    return native["cpu_us"] / isolated["cpu_us"] if isolated["cpu_us"] else 0


def print_table(native, isolated):
    print("%-12s %-9s %10s %8s %8s %8s %10s %7s %11s %9s"
          % ("page", "mode", "requests/s", "p50 ms", "p90 ms", "p99 ms", "crossings", "ratio",
             "CPU us/req", "CPU ratio"))
    for name, path in PAGES:
        for mode, figures in (("native", native), ("isolated", isolated)):
            f = figures[path]
            ratio = f["rps"] / native[path]["rps"] if native[path]["rps"] else 0
            print("%-12s %-9s %10.1f %8.2f %8.2f %8.2f %10s %7s %11.0f %9s"
                  % (name, mode, f["rps"], f["p50"] or 0, f["p90"] or 0, f["p99"] or 0,
                     "%.1f/req" % f["calls_per_request"] if mode == "isolated" else "-",
                     "%.2f" % ratio if mode == "isolated" else "", f["cpu_us"],
                     "%.2f" % cpu_ratio(native[path], f) if mode == "isolated" else ""))
            if mode == "isolated":
                print("   crossings per request by extension: " +
                      ", ".join("%s %.2f" % (name, calls)
                                for name, calls in sorted(f["by_extension"].items()) if calls))
            if f["bad"] or f["socket_errors"]:
                print("   (%s: %d non-2xx answers; socket errors: %s)"
                      % (mode, f["bad"], f["socket_errors"] or "none"))


def main():
    build_dir, seconds, bochs, runs = options_or_exit(sys.argv[1:], __doc__, "wrk", "http_bench")
    run = measure_bochs if bochs else measure
    print("khttpd under wrk (1 thread, %d connections, %d s), %s; native: e1000, ata, vfat, "
          "khttpd all native; isolated: each in its own domain"
          % (CONNECTIONS, seconds, "Bochs 2.7 (icelake, PCID)" if bochs
             else "QEMU TCG (-cpu max, no PCID)"))
    ratios = {path: [] for _, path in PAGES}
    cpu_ratios = {path: [] for _, path in PAGES}
    for index in range(runs):
        # Pairs in turn, native first: a slow spell of the host falls on both sides alike.
        native = run(build_dir, "native", seconds)
        isolated = run(build_dir, "isolated", seconds)
        if runs > 1:
            print("pair %d of %d:" % (index + 1, runs))
        print_table(native, isolated)
        for _, path in PAGES:
            if native[path]["rps"]:
                ratios[path].append(isolated[path]["rps"] / native[path]["rps"])
            cpu_ratios[path].append(cpu_ratio(native[path], isolated[path]))
    if runs > 1:
        for name, path in PAGES:
            print("%s, isolated/native over %d pairs: median %s; CPU per request, "
                  "native/isolated: median %s" % (name, runs, median_range(ratios[path]),
                                                  median_range(cpu_ratios[path])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
