#!/usr/bin/env python3
"""Boot tests of the web server (drivers/khttpd), checked from the host with curl and raw
sockets through a hostfwd on 127.0.0.1 (QEMU's user network with restrict=on: nothing else is
contacted). Every load loop is bounded in count and time.

usage: httpd_tests.py BUILD_DIR CASE      (--list prints the cases)
"""
import hashlib
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import net_tests
import nkboot
from storage_tests import site_files

case = nkboot.Cases()
Failure = nkboot.Failure
expect = nkboot.expect
expect_match = nkboot.expect_match

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "drivers", "vfat"))
import make_disk_image  # noqa: E402

SERVING = r"^httpd: serving /disk on port 80 \(khttpd, (\w+)\)$"


class Served:
    """A boot with the default disk, the network and the web server; `port` reaches it."""

    def __init__(self, build_dir, cmdline="", memory="512M"):
        self.port = net_tests.free_port()
        self._workdir = tempfile.TemporaryDirectory(prefix="nkhttpd-")
        self.shell = net_tests.booted(build_dir, net_tests.nic(hostfwd=[(self.port, 80)]),
                                      cmdline=cmdline, disk=True, workdir=self._workdir.name)
        match = re.search(SERVING, self.shell.output, re.MULTILINE)
        if not match:
            self.shell.kill()
            raise Failure("the web server did not start at boot:\n" + self.shell.output[-5000:])
        self.mode = match.group(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shell.kill()
        self._workdir.cleanup()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())


def read_response(reader, head_only=False):
    """One response from a buffered socket reader; None when the peer closed first."""
    line = reader.readline(65536)
    if not line:
        return None
    match = re.match(rb"HTTP/1\.1 (\d{3}) [^\r\n]*\r\n$", line)
    if not match:
        raise Failure("bad status line %r" % line)
    headers = {}
    while True:
        line = reader.readline(65536)
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = b"" if head_only else reader.read(length)
    if len(body) != (0 if head_only else length):
        raise Failure("a body of %d bytes where Content-Length said %d" % (len(body), length))
    return Response(int(match.group(1)), headers, body)


def exchange(port, data, count=1, head_only=False, timeout=30):
    """Sends raw `data`, then reads `count` responses (fewer if the server closes); returns
    them and whether the server closed the connection after them."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        reader = conn.makefile("rb")
        responses = []
        for _ in range(count):
            response = read_response(reader, head_only)
            if response is None:
                break
            responses.append(response)
        try:
            closed = reader.read(1) == b""
        except socket.timeout:
            closed = False
        return responses, closed


def get(port, path, headers=(), method="GET", timeout=30):
    request = "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" % (method, path)
    request += "".join("%s: %s\r\n" % pair for pair in headers) + "\r\n"
    responses, _ = exchange(port, request.encode(), head_only=method == "HEAD",
                            timeout=timeout)
    if not responses:
        raise Failure("no response to %s %s" % (method, path))
    return responses[0]


def curl(port, path, *options, timeout=60):
    """curl's view: (status, body bytes)."""
    result = subprocess.run(["curl", "-s", "-S", "--max-time", str(timeout), "-o", "-",
                             "-w", "\n%{http_code}", *options,
                             "http://127.0.0.1:%d%s" % (port, path)],
                            capture_output=True, timeout=timeout + 10)
    if result.returncode != 0:
        raise Failure("curl %s: %s" % (path, result.stderr.decode(errors="replace")))
    body, _, status = result.stdout.rpartition(b"\n")
    return int(status), body


def status_json(port):
    response = get(port, "/_ext.json")
    expect(response.status == 200, "/_ext.json: %d" % response.status)
    return json.loads(response.body)


def extension_record(port, name):
    for record in status_json(port)["extensions"]:
        if record["name"] == name:
            return record
    raise Failure("/_ext.json lists no %s" % name)


DISABLED = r"'vfat' failed \d+ times within \d+ s: disabled"


def take_vfat_down(served):
    """Crashes vfat more often than its restart policy allows (8 in 10 s): every second call
    into it faults, and requests for files it was never asked about make the calls. It is left
    disabled."""
    served.shell.send("ext crash vfat null --after 1 --times 12\r")
    deadline = time.monotonic() + 90
    attempt = 0
    while not re.search(DISABLED, served.shell.output) and time.monotonic() < deadline:
        # A name never asked before: its lookup is a call into vfat (files served already are
        # answered from the kernel's caches).
        attempt += 1
        try:
            get(served.port, "/missing-%d.html" % attempt, timeout=10)
        except (OSError, Failure):
            pass
        time.sleep(0.05)
    served.shell.wait_for(re.escape(served.shell.PROMPT), 60)
    expect_match(DISABLED, served.shell.output, "vfat disabled", served.shell)
    expect(extension_record(served.port, "vfat")["state"] == "disabled", "vfat is not down",
           served.shell)


@case
def httpd_site(build_dir):
    """The server starts at boot (isolated) and serves every file of the default site byte for
    byte to curl, with its media type; HEAD gives the same head without a body; a directory
    without index.html is listed, one without its slash is redirected; `httpd status` says what
    it serves."""
    files = site_files()
    with Served(build_dir) as served:
        expect(served.mode == "isolated", "khttpd is %s" % served.mode, served.shell)
        for path, want in sorted(files.items()):
            status, body = curl(served.port, path)
            expect(status == 200, "%s: status %d" % (path, status), served.shell)
            expect(hashlib.sha256(body).hexdigest() == hashlib.sha256(want).hexdigest(),
                   "%s: %d bytes differ from the site's %d" % (path, len(body), len(want)),
                   served.shell)
        types = {"/index.html": "text/html; charset=utf-8",
                 "/docs/design/notes.txt": "text/plain; charset=utf-8",
                 "/images/domains.png": "image/png",
                 "/files/" + make_disk_image.BIG_FILE: "application/octet-stream"}
        for path, media in types.items():
            response = get(served.port, path)
            expect(response.header("content-type") == media,
                   "%s: Content-Type %r" % (path, response.header("content-type")), served.shell)
            head = get(served.port, path, method="HEAD")
            expect(head.status == 200 and head.body == b"" and
                   head.header("content-length") == str(len(files[path])),
                   "HEAD %s: %d, length %r" % (path, head.status, head.header("content-length")),
                   served.shell)
        index = get(served.port, "/")
        expect(index.body == files["/index.html"], "/ is not index.html", served.shell)
        listing = get(served.port, "/files/")
        expect(listing.status == 200, "/files/: %d" % listing.status, served.shell)
        for name in ("README.txt", make_disk_image.BIG_FILE):
            expect_match(r'<a href="%s">%s</a> %d bytes' % (re.escape(name), re.escape(name),
                                                             len(files["/files/" + name])),
                         listing.body.decode(), "listing of /files/", served.shell)
        redirect = get(served.port, "/docs")
        expect(redirect.status == 301 and redirect.header("location") == "/docs/",
               "/docs: %d to %r" % (redirect.status, redirect.header("location")), served.shell)
        out = served.shell.run("httpd status")
        expect_match(r"^extension khttpd \(service, isolated\): running$", out, "status", served.shell)
        expect_match(r"service: serving /disk on port 80: \d+ connections \(\d of 6 open\), "
                     r"\d+ requests", out, "status line", served.shell)


@case
def httpd_status_codes(build_dir):
    """Each error the server answers: 400, 403 (every traversal spelling), 404, 405 with Allow,
    413, 414, 416, 431, 500 (the file system gone) and 503 (past the connection bound)."""
    with Served(build_dir) as served:
        port = served.port

        def raw(data, want, what):
            responses, closed = exchange(port, data)
            expect(responses and responses[0].status == want,
                   "%s: %s, not %d" % (what, responses[0].status if responses else "nothing",
                                       want), served.shell)
            return responses[0], closed

        raw(b"GARBAGE\r\n\r\n", 400, "no target")
        raw(b"GET / HTTP/1.1\r\n\r\n", 400, "no Host")
        raw(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400, "HTTP/2.0")
        raw(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "space before the colon")
        raw(b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad escape")
        for path in ("/../index.html", "/docs/../../x", "/%2e%2e/index.html", "/%2E%2e/",
                     "/docs%2findex.html", "/docs\\index.html", "/docs%5cindex.html",
                     "/index.html%00.txt"):
            response, closed = raw(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode(), 403,
                                   path)
            expect(closed, "%s: the connection stays open" % path, served.shell)
        expect(get(port, "/no/such/file").status == 404, "404", served.shell)
        expect(get(port, "/index.html/x").status == 404, "a file as a directory", served.shell)
        response, _ = raw(b"POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                          405, "POST")
        expect(response.header("allow") == "GET, HEAD", "Allow: %r" % response.header("allow"),
               served.shell)
        raw(b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "DELETE")
        raw(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 413, "big body")
        raw(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 413, "chunked")
        raw(("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % ("a" * 1500)).encode(), 414, "long target")
        raw(("GET /%s" % ("a" * 3000)).encode(), 414, "request line without end")
        raw(("GET / HTTP/1.1\r\nHost: x\r\nX-Long: %s\r\n\r\n" % ("b" * 3000)).encode(), 431,
            "long field")
        many = "".join("X-Field-%d: %s\r\n" % (i, "c" * 100) for i in range(90))
        raw(("GET / HTTP/1.1\r\nHost: x\r\n%s\r\n" % many).encode(), 431, "big head")
        response = get(port, "/index.html", headers=[("Range", "bytes=100000-")])
        expect(response.status == 416 and
               response.header("content-range") == "bytes */%d" % len(site_files()["/index.html"]),
               "416: %d %r" % (response.status, response.header("content-range")), served.shell)
        # 503: hold every worker (6) with an idle connection; the seventh is refused at once.
        held = []
        try:
            for _ in range(6):
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                conn.sendall(b"GET /files/README.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                reader = conn.makefile("rb")
                expect(read_response(reader).status == 200, "held connection", served.shell)
                held.append(conn)
            refused, closed = exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            expect(refused and refused[0].status == 503 and closed and
                   refused[0].header("retry-after") == "1",
                   "the seventh connection: %s" % (refused[0].status if refused else "nothing"),
                   served.shell)
        finally:
            for conn in held:
                conn.close()
        time.sleep(1.0)
        expect(get(port, "/").status == 200, "served again once the connections closed",
               served.shell)
        expect_match(r"1 refused", served.shell.run("httpd status"), "counted", served.shell)
        # 500: the file system's driver is disabled (it crashed more often than its restart
        # policy allows): a file cannot be read, while the status page still answers.
        take_vfat_down(served)
        response = get(port, "/about.html")
        expect(response.status == 500, "with vfat disabled: %d" % response.status, served.shell)
        expect(extension_record(port, "vfat")["state"] == "disabled", "vfat's state",
               served.shell)


@case
def httpd_keepalive_pipelining(build_dir):
    """Keep-alive (HTTP/1.1 by default, HTTP/1.0 on request), three pipelined requests in one
    write answered in order, a request body skipped, and Connection: close honoured."""
    files = site_files()
    with Served(build_dir) as served:
        port = served.port
        pipelined = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode()
                             for path in ("/index.html", "/about.html", "/files/README.txt"))
        responses, closed = exchange(port, pipelined + b"GET / HTTP/1.1\r\nHost: x\r\n"
                                     b"Connection: close\r\n\r\n", count=4)
        expect(len(responses) == 4, "%d responses to 4 pipelined requests" % len(responses),
               served.shell)
        for response, path in zip(responses, ("/index.html", "/about.html",
                                              "/files/README.txt", "/index.html")):
            expect(response.status == 200 and response.body == files[path],
                   "pipelined %s" % path, served.shell)
        expect(closed, "Connection: close did not close", served.shell)
        expect(all(r.header("connection") == "keep-alive" for r in responses[:3]) and
               responses[3].header("connection") == "close", "Connection fields", served.shell)
        # A GET with a small body: the body is skipped and the next request still parsed.
        responses, _ = exchange(port, b"GET /about.html HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: 5\r\n\r\nhelloGET /files/README.txt HTTP/1.1"
                                b"\r\nHost: x\r\nConnection: close\r\n\r\n", count=2)
        expect(len(responses) == 2 and responses[1].body == files["/files/README.txt"],
               "the body was not skipped", served.shell)
        # HTTP/1.0: closed after one response unless keep-alive was asked for.
        responses, closed = exchange(port, b"GET /about.html HTTP/1.0\r\n\r\n", count=1)
        expect(responses and responses[0].status == 200 and closed, "HTTP/1.0 close",
               served.shell)
        responses, closed = exchange(port, b"GET /about.html HTTP/1.0\r\nConnection: "
                                     b"keep-alive\r\n\r\n", count=1, timeout=2)
        expect(responses and responses[0].header("connection") == "keep-alive" and not closed,
               "HTTP/1.0 keep-alive", served.shell)
        # Many requests on one connection, as a browser would.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            reader = conn.makefile("rb")
            for i in range(50):
                path = sorted(p for p in files if not p.endswith(".bin"))[i % 7]
                conn.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                response = read_response(reader)
                expect(response is not None and response.body == files[path],
                       "request %d on one connection" % i, served.shell)
        out = served.shell.run("httpd status")
        match = re.search(r"(\d+) connections \(\d of 6 open\), (\d+) requests", out)
        expect(match and int(match.group(2)) >= int(match.group(1)) + 50,
               "requests per connection: %r" % out, served.shell)


@case
def httpd_ranges_conditional(build_dir):
    """Byte ranges (first-last, first-, -suffix, past the end, several ranges ignored) and
    If-Modified-Since (304 for the file's own date, 200 for an older one)."""
    files = site_files()
    big = "/files/" + make_disk_image.BIG_FILE
    with Served(build_dir) as served:
        port = served.port
        want = files[big]
        size = len(want)
        for spec, first, last in (("0-9", 0, 9), ("1000-", 1000, size - 1),
                                  ("-100", size - 100, size - 1),
                                  ("%d-%d" % (size - 10, size + 5000), size - 10, size - 1),
                                  ("1048576-2097151", 1048576, 2097151)):
            response = get(port, big, headers=[("Range", "bytes=" + spec)])
            expect(response.status == 206 and response.body == want[first:last + 1] and
                   response.header("content-range") == "bytes %d-%d/%d" % (first, last, size),
                   "Range %s: %d %r" % (spec, response.status,
                                        response.header("content-range")), served.shell)
        status, body = curl(port, big, "-r", "4000-4999")
        expect(status == 206 and body == want[4000:5000], "curl -r", served.shell)
        response = get(port, "/about.html", headers=[("Range", "bytes=0-1,5-6")])
        expect(response.status == 200 and response.body == files["/about.html"],
               "several ranges are served whole", served.shell)
        response = get(port, "/about.html")
        modified = response.header("last-modified")
        expect(modified and modified.endswith(" GMT"), "Last-Modified %r" % modified,
               served.shell)
        response = get(port, "/about.html", headers=[("If-Modified-Since", modified)])
        expect(response.status == 304 and response.body == b"", "304: %d" % response.status,
               served.shell)
        response = get(port, "/about.html",
                       headers=[("If-Modified-Since", "Thu, 01 Jan 1981 00:00:00 GMT")])
        expect(response.status == 200 and response.body == files["/about.html"],
               "an older date: %d" % response.status, served.shell)
        status, _ = curl(port, "/about.html", "-z", modified)
        expect(status == 304, "curl -z: %d" % status, served.shell)


@case
def httpd_timeouts(build_dir):
    """A slow client (a head that never ends) gets 408 and is closed after request_ms; an idle
    keep-alive connection is closed after idle_ms; both bounded and short here."""
    with Served(build_dir) as served:
        out = served.shell.run("httpd stop", timeout=30)
        expect_match(r"httpd: stopped", out, "stop", served.shell)
        out = served.shell.run("httpd start request_ms=1500 idle_ms=1000", timeout=30)
        expect_match(r"httpd: started \(request_ms=1500 idle_ms=1000 root=/disk port=80\)", out,
                     "start", served.shell)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
            start = time.monotonic()
            conn.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            reader = conn.makefile("rb")
            response = read_response(reader)
            took = time.monotonic() - start
            expect(response is not None and response.status == 408,
                   "slow client: %s" % (response.status if response else "nothing"),
                   served.shell)
            expect(1.0 <= took <= 5.0, "408 after %.1f s" % took, served.shell)
            expect(reader.read(1) == b"", "not closed after 408", served.shell)
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
            conn.sendall(b"GET /about.html HTTP/1.1\r\nHost: x\r\n\r\n")
            reader = conn.makefile("rb")
            expect(read_response(reader).status == 200, "first request", served.shell)
            start = time.monotonic()
            expect(reader.read(1) == b"", "idle connection not closed", served.shell)
            took = time.monotonic() - start
            expect(0.5 <= took <= 4.0, "idle close after %.1f s" % took, served.shell)


@case
def httpd_shell(build_dir):
    """`httpd start|stop|status` and their errors; native mode; a wrong parameter is refused
    with a clear message."""
    with Served(build_dir) as served:
        shell = served.shell
        expect_match(r"exists|already", shell.run("httpd start"), "second start", shell)
        expect_match(r"^usage: httpd", shell.run("httpd bogus"), "usage", shell)
        expect_match(r"httpd: stopped", shell.run("httpd stop", timeout=30), "stop", shell)
        expect_match(r"httpd: not running", shell.run("httpd status"), "status when stopped",
                     shell)
        expect_match(r"not running", shell.run("httpd stop"), "stop when stopped", shell)
        out = shell.run("httpd start port=0", timeout=30)
        expect_match(r"ext load: /lib/modules/khttpd\.ko: ", out, "port=0 refused", shell)
        expect_match(r"khttpd: port=0: expected 1\.\.65535", shell.output, "said why", shell)
        out = shell.run("httpd start --native", timeout=30)
        expect_match(r"httpd: started", out, "native start", shell)
        expect_match(r"^extension khttpd \(service, native\): running$", shell.run("httpd status"),
                     "native", shell)
        time.sleep(0.5)
        status, body = curl(served.port, "/about.html")
        expect(status == 200 and body == site_files()["/about.html"], "native serves", shell)


@case
def httpd_status_page(build_dir):
    """/_ext.json lists every loaded extension with its class, mode and state, and the restart
    count rises after `ext crash`; /_ext is an HTML page that reloads itself."""
    with Served(build_dir) as served:
        port = served.port
        records = {r["name"]: r for r in status_json(port)["extensions"]}
        for name, klass in (("ata", "block"), ("vfat", "fs"), ("e1000", "net"),
                            ("khttpd", "service")):
            expect(name in records, "%s missing from %r" % (name, sorted(records)), served.shell)
            record = records[name]
            expect(record["class"] == klass and record["mode"] == "isolated" and
                   record["state"] == "running" and record["restarts"] == 0 and
                   record["last_fault"] is None,
                   "%s: %r" % (name, record), served.shell)
        expect(records["e1000"]["objects"].get("irq") == 1 and
               records["khttpd"]["objects"].get("socket", 0) >= 1,
               "objects: %r %r" % (records["e1000"]["objects"], records["khttpd"]["objects"]),
               served.shell)
        # The fault strikes at e1000's next crossing: requests make the crossings.
        served.shell.send("ext crash e1000 null\r")
        deadline = time.monotonic() + 60
        while not re.search(r"'e1000' recovered", served.shell.output) and \
                time.monotonic() < deadline:
            try:
                get(port, "/about.html", timeout=5)
            except (OSError, Failure):
                pass
        served.shell.wait_for(re.escape(served.shell.PROMPT), 60)
        expect_match(r"'e1000' recovered", served.shell.output, "e1000 recovered", served.shell)
        time.sleep(1.0)
        record = extension_record(port, "e1000")
        expect(record["restarts"] == 1 and record["faults"] == 1 and record["state"] ==
               "running" and "page fault" in (record["last_fault"] or "").lower() and
               record["last_recovery_us"], "after the crash: %r" % record, served.shell)
        page = get(port, "/_ext")
        text = page.body.decode()
        expect(page.status == 200 and '<meta http-equiv="refresh" content="1">' in text,
               "/_ext does not reload itself", served.shell)
        expect_match(r"<tr><td>e1000</td><td>net</td><td>isolated</td><td class=\"ok\">running"
                     r"</td><td>1</td><td>1</td>", text, "e1000's row", served.shell)


def load_worker(port, files, stop, deadline, limit, stats, lock, seed):
    """Requests on a keep-alive connection until `stop` is set, `deadline` passes or `limit`
    are done; every answer's status and bytes are checked. A connection that fails is counted
    and opened again."""
    rng = random.Random(seed)
    paths = sorted(files)
    done = 0
    conn = reader = None
    while not stop.is_set() and done < limit and time.monotonic() < deadline:
        path = rng.choice(paths)
        ranged = path.endswith(".bin")
        try:
            if conn is None:
                conn = socket.create_connection(("127.0.0.1", port), timeout=15)
                reader = conn.makefile("rb")
            if ranged:
                first = rng.randrange(0, len(files[path]) - 65536)
                request = ("GET %s HTTP/1.1\r\nHost: x\r\nRange: bytes=%d-%d\r\n\r\n"
                           % (path, first, first + 65535))
                want = files[path][first:first + 65536]
            else:
                request = "GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path
                want = files[path]
            started = time.monotonic()
            conn.sendall(request.encode())
            response = read_response(reader)
            if response is None:
                raise ConnectionError("closed")
            ok = response.status == (206 if ranged else 200) and response.body == want
            with lock:
                stats["ok" if ok else "wrong"] += 1
                stats["slowest"] = max(stats["slowest"], time.monotonic() - started)
                if not ok:
                    stats["wrong_detail"].append("%s: %d" % (path, response.status))
        except (OSError, Failure) as error:
            with lock:
                stats["failed"] += 1
                stats["fail_detail"].append("%s: %s" % (path, error))
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
        done += 1
    if conn is not None:
        conn.close()


def crash_under_load(build_dir, driver, crashes, workers=4):
    """Four clients fetch the site's files (whole, or 64 KiB ranges of the large one) without
    pause while `driver` is crashed `crashes` times; returns the counts."""
    files = site_files()
    with Served(build_dir) as served:
        shell = served.shell
        stats = {"ok": 0, "wrong": 0, "failed": 0, "slowest": 0.0, "wrong_detail": [],
                 "fail_detail": []}
        lock = threading.Lock()
        stop = threading.Event()
        deadline = time.monotonic() + 300
        threads = [threading.Thread(target=load_worker,
                                    args=(served.port, files, stop, deadline, 20000, stats,
                                          lock, seed), daemon=True)
                   for seed in range(workers)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        pattern = r"'%s' recovered in" % driver
        for crash in range(crashes):
            shell.run("ext crash %s null" % driver, timeout=60)
            # The fault strikes at the driver's next crossing, which the load makes — for ata
            # once the cache no longer holds what is asked for.
            until = time.monotonic() + 60
            while len(re.findall(pattern, shell.output)) <= crash and time.monotonic() < until:
                if driver == "ata":
                    shell.run("sync -d", timeout=60)
                time.sleep(0.2)
            time.sleep(1.5)
        time.sleep(2.0)
        stop.set()
        for thread in threads:
            thread.join(60)
        recovered = len(re.findall(pattern, shell.output))
        print("%s crashed %d times, %d recoveries: %d answers right, %d wrong, %d failed; "
              "slowest answer %.2f s" % (driver, crashes, recovered, stats["ok"], stats["wrong"],
                                         stats["failed"], stats["slowest"]))
        for detail in stats["fail_detail"][:10]:
            print("  failed: " + detail)
        expect(recovered == crashes, "%d of %d crashes recovered" % (recovered, crashes), shell)
        expect(stats["wrong"] == 0, "wrong answers: %r" % stats["wrong_detail"][:10], shell)
        expect(stats["ok"] >= 200, "only %d answers" % stats["ok"], shell)
        return stats


@case
def httpd_crash_e1000(build_dir):
    """Under a bounded load (4 keep-alive clients), e1000 crashes 3 times: every request is
    answered, correctly."""
    stats = crash_under_load(build_dir, "e1000", 3)
    expect(stats["failed"] == 0, "failed requests: %r" % stats["fail_detail"][:10])


@case
def httpd_crash_vfat(build_dir):
    """Under load, vfat crashes 3 times: every request is answered, correctly."""
    stats = crash_under_load(build_dir, "vfat", 3)
    expect(stats["failed"] == 0, "failed requests: %r" % stats["fail_detail"][:10])


@case
def httpd_crash_ata(build_dir):
    """Under load, ata crashes 3 times: every request is answered, correctly."""
    stats = crash_under_load(build_dir, "ata", 3)
    expect(stats["failed"] == 0, "failed requests: %r" % stats["fail_detail"][:10])


@case
def httpd_crash_khttpd(build_dir):
    """Under load, khttpd itself crashes 3 times: its listening socket is kept and handed to the
    new copy, so no connection is refused; only requests inside khttpd at the crash fail (at
    most one per open connection per crash), and no answer is wrong."""
    stats = crash_under_load(build_dir, "khttpd", 3)
    refused = [d for d in stats["fail_detail"] if "refused" in d.lower()]
    expect(not refused, "connections refused: %r" % refused)
    expect(stats["failed"] <= 3 * 4, "%d failed: %r" % (stats["failed"], stats["fail_detail"]))


def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit truecolour PNG, non-interlaced."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("not a PNG")
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise Failure("unexpected PNG format %r" % (header,))
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * step
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            up_left = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xff
            elif kind == 2:
                line[i] = (line[i] + up) & 0xff
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xff
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[i] = (line[i] + pred) & 0xff
        rows.append(bytes(line))
        previous = line
    return width, height, step, rows


def colour_count(rows, step, rgb):
    count = 0
    for row in rows:
        for i in range(0, len(row), step):
            if abs(row[i] - rgb[0]) <= 2 and abs(row[i + 1] - rgb[1]) <= 2 and \
                    abs(row[i + 2] - rgb[2]) <= 2:
                count += 1
    return count


@case
def httpd_screenshot(build_dir):
    """Headless Chromium renders /_ext while a driver is down (vfat disabled by repeated
    crashes): the screenshot is kept in BUILD_DIR/test-artifacts/ext_status.png, and its
    pixels show the red of a stopped extension and the green of running ones."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise Failure("chromium is not installed (./nk deps)")
    artifacts = os.path.join(build_dir, "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, "ext_status.png")
    if os.path.exists(shot):
        os.remove(shot)
    with Served(build_dir) as served:
        take_vfat_down(served)
        with tempfile.TemporaryDirectory(prefix="nkchromium-") as profile:
            result = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--user-data-dir=" + profile, "--window-size=1280,500",
                 "--screenshot=" + shot, "http://127.0.0.1:%d/_ext" % served.port],
                capture_output=True, timeout=120)
        expect(os.path.exists(shot), "no screenshot: %s" % result.stderr[-2000:], served.shell)
    with open(shot, "rb") as f:
        width, height, step, rows = png_pixels(f.read())
    red = colour_count(rows, step, (0xf4, 0xb0, 0xb0))
    green = colour_count(rows, step, (0xc8, 0xf0, 0xc8))
    print("screenshot %s: %dx%d, %d red and %d green pixels" % (shot, width, height, red, green))
    expect(width == 1280 and red > 500 and green > 1500,
           "the page does not show a stopped extension beside running ones (%d red, %d green)"
           % (red, green))


if __name__ == "__main__":
    sys.exit(case.main(__doc__))
