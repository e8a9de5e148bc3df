#!/usr/bin/env python3
"""Boot tests of the storage stack: the isolated `ata` driver and `vfat` file system on an IDE
disk, checked from the host — file hashes against site/, fsck.fat and mtools on the image after
the guest wrote to it, corrupted images, recovery from crashes in the middle of a copy, and the
same disk read under Bochs.

usage: storage_tests.py BUILD_DIR CASE      (--list prints the cases)
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import nkboot

case = nkboot.Cases()
Failure = nkboot.Failure

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "site")
sys.path.insert(0, os.path.join(ROOT, "drivers", "vfat"))
import make_disk_image  # noqa: E402  (the generator of the large file, for its expected hash)

MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")


expect = nkboot.expect
expect_match = nkboot.expect_match


def tool(name):
    found = shutil.which(name) or next(
        (p for p in ("/usr/sbin/" + name, "/sbin/" + name) if os.path.exists(p)), None)
    if not found:
        raise Failure("%s is not installed (dosfstools, mtools)" % name)
    return found


def drive(image, index=0):
    return ["-drive", "file=%s,format=raw,if=ide,index=%d" % (image, index)]


def fresh_disk(build_dir, workdir):
    """A copy of the default disk, so a test never changes build/disk.img."""
    image = os.path.join(workdir, "disk.img")
    shutil.copyfile(os.path.join(build_dir, "disk.img"), image)
    return image


def site_hashes():
    """Host-side SHA-256 of every file the default disk holds, by guest path."""
    return dict(("/disk" + path, hashlib.sha256(data).hexdigest())
                for path, data in site_files().items())


def site_files():
    """Every file the default disk holds (the site and the generated large file), by its path
    on the volume ("/index.html")."""
    files = {}
    for directory, _, names in os.walk(SITE):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                files["/" + os.path.relpath(path, SITE).replace(os.sep, "/")] = f.read()
    files["/files/" + make_disk_image.BIG_FILE] = make_disk_image.big_file_bytes()
    return files


def guest_hashes(text):
    return dict((m.group(2), m.group(1))
                for m in re.finditer(r"^([0-9a-f]{64})  (\S+)$", text, re.MULTILINE))


def fsck_clean(image):
    result = subprocess.run([tool("fsck.fat"), "-n", image], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    expect(result.returncode == 0 and not re.search(r"differ|wrong|Free cluster summary|"
                                                    r"[Uu]nable|corrupt|Orphan",
                                                    result.stdout),
           "fsck.fat -n is not clean (status %d):\n%s" % (result.returncode, result.stdout))
    return result.stdout


def mtools_read(image, path):
    result = subprocess.run([tool("mtype"), "-i", image, "::" + path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=MTOOLS_ENV)
    expect(result.returncode == 0, "mtype %s: %s" % (path, result.stderr.decode(errors="replace")))
    return result.stdout


def mtools_exists(image, path):
    return subprocess.run([tool("mdir"), "-b", "-i", image, "::" + path],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=MTOOLS_ENV).returncode == 0


def power_off(shell):
    """`poweroff` writes everything back first; QEMU must end with status 0."""
    shell.send("poweroff\r")
    status = shell.close(timeout=60)
    expect(status == 0, "QEMU exit status %r after poweroff" % status, shell)


def session(build_dir, extra, cmdline=""):
    return nkboot.ShellSession(build_dir, cmdline=cmdline, extra=extra, boot_timeout=90)


@case
def storage_site_hashes(build_dir):
    """Every file of the default disk, read in the guest through ata and vfat (both isolated),
    has the host copy's SHA-256; the mount, lsblk and df say what they should."""
    with tempfile.TemporaryDirectory(prefix="nkdisk-") as workdir:
        image = fresh_disk(build_dir, workdir)
        with session(build_dir, drive(image)) as shell:
            expect_match(r"^storage: hda mounted at /disk \(vfat, isolated\)", shell.output,
                         "mounted at boot", shell)
            expect_match(r"^hda on /disk type vfat$", shell.run("mount"), "mount", shell)
            expect_match(r"^hda\s+1048576\s+512\s", shell.run("lsblk"), "lsblk", shell)
            df = expect_match(r"^hda\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+/disk$", shell.run("df"),
                              "df", shell)
            expect(int(df.group(1)) == int(df.group(2)) + int(df.group(3)), "df adds up", shell)
            out = shell.run("diskcheck", timeout=180)
            expect_match(r"^diskcheck: \d+ files, \d+ directories, 0 errors$", out, "diskcheck",
                         shell)
            got = guest_hashes(out)
            want = site_hashes()
            expect(set(got) == set(want), "files differ: guest has %s, host %s"
                   % (sorted(set(got) - set(want)), sorted(set(want) - set(got))), shell)
            for path, digest in want.items():
                expect(got[path] == digest, "%s: guest read %s, host has %s"
                       % (path, got[path], digest), shell)
            # The same through the ordinary sha256sum program, on the large file.
            big = "/disk/files/" + make_disk_image.BIG_FILE
            expect_match(r"^%s  %s$" % (want[big], re.escape(big)),
                         shell.run("sha256sum %s" % big, timeout=120), "sha256sum", shell)
            expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def storage_guest_writes(build_dir):
    """Files written, renamed and removed in the guest are on the disk after poweroff exactly as
    the guest left them, and fsck.fat finds nothing wrong."""
    long_name = "a-rather-long-file-name-written-by-the-guest.txt"
    with tempfile.TemporaryDirectory(prefix="nkdisk-") as workdir:
        image = fresh_disk(build_dir, workdir)
        with session(build_dir, drive(image)) as shell:
            commands = [
                "write /disk/notes.txt hello disk",
                "mkdir /disk/new",
                "mkdir /disk/new/deeper",
                "cp /disk/index.html /disk/new/deeper/copy.html",
                "mv /disk/notes.txt /disk/new/renamed.txt",
                "write /disk/%s long names work" % long_name,
                "mv /disk/about.html /disk/docs/about-moved.html",
                "rm /disk/extensions.html",
                "mkdir /disk/gone",
                "rmdir /disk/gone",
                "cp /disk/files/%s /disk/new/big-copy.bin" % make_disk_image.BIG_FILE,
            ]
            for command in commands:
                out = shell.run(command, timeout=120)
                expect(out.strip() == "", "%s printed %r" % (command, out), shell)
            listing = shell.run("ls /disk/new")
            for name in ("deeper", "renamed.txt", "big-copy.bin"):
                expect_match(r"^%s/?$" % re.escape(name), listing, "ls /disk/new", shell)
            expect(shell.run("sync").strip() == "", "sync", shell)
            power_off(shell)
        fsck_clean(image)
        expect(mtools_read(image, "/new/renamed.txt") == b"hello disk\n", "renamed.txt")
        expect(mtools_read(image, "/" + long_name) == b"long names work\n", "long name")
        with open(os.path.join(SITE, "index.html"), "rb") as f:
            expect(mtools_read(image, "/new/deeper/copy.html") == f.read(), "copy.html")
        with open(os.path.join(SITE, "about.html"), "rb") as f:
            expect(mtools_read(image, "/docs/about-moved.html") == f.read(), "moved file")
        expect(mtools_read(image, "/new/big-copy.bin") == make_disk_image.big_file_bytes(),
               "the 4 MiB copy")
        for gone in ("/about.html", "/extensions.html", "/notes.txt", "/gone"):
            expect(not mtools_exists(image, gone), "%s still on the disk" % gone)


# ---- Corrupted images: made here from fresh mkfs.vfat volumes, one defect each.

def make_fat16(path, files):
    subprocess.run([tool("mkfs.vfat"), "-F", "16", "-S", "512", "-s", "4", "-n", "BROKEN",
                    "-C", path, "16384"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as staging:
        for name, data in files.items():
            local = os.path.join(staging, name)
            with open(local, "wb") as f:
                f.write(data)
            subprocess.run([tool("mcopy"), "-i", path, local, "::/" + name], check=True,
                           env=MTOOLS_ENV)


class Fat16:
    """Just enough of a FAT16 volume's layout to break it on purpose."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            boot = f.read(512)
        (self.bytes_per_sector, self.sectors_per_cluster, self.reserved, self.fats,
         self.root_entries) = struct.unpack_from("<HBHBH", boot, 11)
        self.fat_size = struct.unpack_from("<H", boot, 22)[0]
        self.fat_offset = self.reserved * self.bytes_per_sector
        self.root_offset = self.fat_offset + self.fats * self.fat_size * self.bytes_per_sector

    def poke(self, offset, data):
        with open(self.path, "r+b") as f:
            f.seek(offset)
            f.write(data)

    def entry_offset(self, short_name):
        """Byte offset of the root directory entry with this 11-character 8.3 name."""
        with open(self.path, "rb") as f:
            f.seek(self.root_offset)
            root = f.read(self.root_entries * 32)
        for i in range(self.root_entries):
            if root[32 * i:32 * i + 11] == short_name:
                return self.root_offset + 32 * i
        raise Failure("no entry %r" % short_name)

    def first_cluster(self, short_name):
        with open(self.path, "rb") as f:
            f.seek(self.entry_offset(short_name) + 26)
            return struct.unpack("<H", f.read(2))[0]

    def set_fat(self, cluster, value):
        for copy in range(self.fats):
            self.poke(self.fat_offset + copy * self.fat_size * self.bytes_per_sector + 2 * cluster,
                      struct.pack("<H", value))


def corrupt_images(workdir):
    """(name, image, how the guest must fail) for each defect."""
    data = bytes(range(256)) * 64  # 16 KiB: 8 clusters of 2 KiB
    images = []

    def fresh(name):
        path = os.path.join(workdir, name + ".img")
        make_fat16(path, {"DATA.BIN": data, "SMALL.TXT": b"small\n"})
        return path, Fat16(path)

    path, fat = fresh("bad-sector-size")
    fat.poke(11, struct.pack("<H", 768))
    images.append(("bad-sector-size", path, "mount"))
    path, fat = fresh("zero-cluster-size")
    fat.poke(13, b"\x00")
    images.append(("zero-cluster-size", path, "mount"))
    path, fat = fresh("past-the-end")
    fat.poke(19, struct.pack("<H", 0))
    fat.poke(32, struct.pack("<I", 10 * 1024 * 1024))  # 5 GiB of sectors on a 16 MiB disk
    images.append(("past-the-end", path, "mount"))
    path, fat = fresh("chain-loop")
    first = fat.first_cluster(b"DATA    BIN")
    fat.set_fat(first + 3, first)  # the 4th cluster leads back to the first
    images.append(("chain-loop", path, "/DATA.BIN"))
    path, fat = fresh("cluster-out-of-range")
    fat.poke(fat.entry_offset(b"DATA    BIN") + 26, struct.pack("<H", 0xFFF0))
    images.append(("cluster-out-of-range", path, "/DATA.BIN"))
    path, fat = fresh("size-past-chain")
    fat.poke(fat.entry_offset(b"SMALL   TXT") + 28, struct.pack("<I", 50 * 1024 * 1024))
    images.append(("size-past-chain", path, "/SMALL.TXT"))
    return images


@case
def storage_corrupt_images(build_dir):
    """Broken BPBs are refused at mount with a clear error; chains that loop or leave the volume
    and sizes longer than their chains fail the read — no panic, no hang, the disk unchanged."""
    with tempfile.TemporaryDirectory(prefix="nkcorrupt-") as workdir:
        images = corrupt_images(workdir)
        before = {}
        for _, path, _ in images:
            with open(path, "rb") as f:
                before[path] = hashlib.sha256(f.read()).hexdigest()
        # Three disks per boot: hda, hdb and hdd (the CD drive is hdc).
        for group in (images[:3], images[3:]):
            extra = []
            for (_, path, _), index in zip(group, (0, 1, 3)):
                extra += drive(path, index)
            with session(build_dir, extra) as shell:
                shell.run("mkdir /broken")
                for (name, path, how), disk in zip(group, ("hda", "hdb", "hdd")):
                    shell.run("umount /disk")  # whatever the boot mounted there
                    out = shell.run("mount vfat %s /broken" % disk, timeout=60)
                    if how == "mount":
                        expect_match(r"^mount: /broken: Invalid argument", out,
                                     "%s: refused at mount" % name, shell)
                        continue
                    said = [l for l in out.splitlines() if l and not l.startswith("[vfat]")]
                    expect(not said, "%s: mount printed %r" % (name, out), shell)
                    out = shell.run("cat /broken%s" % how, timeout=60)
                    # (A size past the chain first gives what the chain holds: the cat's
                    # error may follow data on the same line.)
                    expect_match(r"cat: /broken%s: (Input/output error|Structure needs "
                                 r"cleaning)$" % re.escape(how), out,
                                 "%s: the read fails" % name, shell)
                    expect(shell.run("umount /broken").strip() == "", "umount", shell)
                expect_match(r"^alive$", shell.run("echo alive"), "the shell answers", shell)
                expect("PANIC" not in shell.output, "kernel panic", shell)
                # Nothing wrote to a broken disk: power off (a sync on the way) and compare.
                power_off(shell)
        for _, path, _ in images:
            with open(path, "rb") as f:
                expect(hashlib.sha256(f.read()).hexdigest() == before[path],
                       "%s was written to" % os.path.basename(path))


def copy_while_crashing(build_dir, extension, after, times):
    big = "/disk/files/" + make_disk_image.BIG_FILE
    want = hashlib.sha256(make_disk_image.big_file_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="nkdisk-") as workdir:
        image = fresh_disk(build_dir, workdir)
        with session(build_dir, drive(image)) as shell:
            expect_match(r"armed; strikes after %d crossings of '%s', then again every %d "
                         r"crossings \(%d times in all\)" % (after, extension, after, times),
                         shell.run("ext crash %s null --after %d --times %d"
                                   % (extension, after, times)), "armed", shell)
            # The copy, then its way to the disk (sync): the reads and the writes under it.
            out = shell.run("cp %s /disk/copy.bin" % big, timeout=300)
            expect(not re.search(r"^cp:", out, re.MULTILINE),
                   "the program saw an error: %r" % out, shell)
            synced = shell.run("sync", timeout=120)
            expect(not re.search(r"^sync:", synced, re.MULTILINE),
                   "sync saw an error: %r" % synced, shell)
            out += synced
            recovered = re.findall(r"^nooks: '%s' recovered in (\d+) us" % extension, out,
                                   re.MULTILINE)
            expect(len(recovered) == times, "%d recoveries during the copy, not %d"
                   % (len(recovered), times), shell)
            expect_match(r"^%s\s+\S+\s+isolated\s+running\s+%d\s+%d\s" % (extension, times, times),
                         shell.run("ext list"), "restarted %d times" % times, shell)
            expect_match(r"^%s  /disk/copy.bin$" % want,
                         shell.run("sha256sum /disk/copy.bin", timeout=120), "copy's hash", shell)
            stats = shell.run("ext stats %s" % extension)
            print("recovery times (us): %s" % ", ".join(recovered))
            print(stats)
            power_off(shell)
        fsck_clean(image)
        expect(mtools_read(image, "/copy.bin") == make_disk_image.big_file_bytes(),
               "the copy on the disk")


@case
def storage_recovery_vfat(build_dir):
    """A 4 MiB copy on the disk while vfat is crashed three times: the program sees no error,
    the copy's hash is right in the guest and on the image, and fsck.fat finds it clean."""
    copy_while_crashing(build_dir, "vfat", 150, 3)


@case
def storage_recovery_ata(build_dir):
    """The same copy, and its sync, while the ata driver is crashed three times under them."""
    # The cache moves a sequential stream in 1 MiB requests: a crash every second one.
    copy_while_crashing(build_dir, "ata", 2, 3)


@case
def storage_pio(build_dir):
    """ata with mode=pio (no bus-master DMA): the disk reads with the host's hashes, a copy
    written through PIO reads back right, and the image is clean."""
    big = "/disk/files/" + make_disk_image.BIG_FILE
    want = site_hashes()
    with tempfile.TemporaryDirectory(prefix="nkdisk-") as workdir:
        image = fresh_disk(build_dir, workdir)
        with session(build_dir, drive(image)) as shell:
            for command in ("umount /disk", "ext unload vfat", "ext unload ata"):
                shell.run(command)
            expect_match(r"hda: QEMU HARDDISK, \d+ sectors .*, PIO$",
                         shell.run("ext load /lib/modules/ata.ko mode=pio"), "PIO mode", shell)
            expect_match(r"loaded extension 'vfat'", shell.run("ext load /lib/modules/vfat.ko"),
                         "vfat", shell)
            expect(shell.run("mount vfat hda /disk").strip().startswith(("", "[vfat]")),
                   "mount", shell)
            got = guest_hashes(shell.run("diskcheck", timeout=240))
            for path, digest in want.items():
                expect(got.get(path) == digest, "%s: read %s over PIO, host has %s"
                       % (path, got.get(path), digest), shell)
            out = shell.run("cp %s /disk/pio-copy.bin" % big, timeout=240)
            expect(not re.search(r"^cp:", out, re.MULTILINE), "cp: %r" % out, shell)
            expect(shell.run("sync").strip() == "", "sync", shell)
            power_off(shell)
        fsck_clean(image)
        expect(mtools_read(image, "/pio-copy.bin") == make_disk_image.big_file_bytes(),
               "the copy written over PIO")


@case
def storage_bench_runs(build_dir):
    """`bench disk` (small) runs both modes in one boot and prints every row with its ratio and
    crossings, then a recovery time per driver with the reads across it intact. (Figures are
    not judged here: they are a benchmark's, not a test's.)"""
    with tempfile.TemporaryDirectory(prefix="nkdisk-") as workdir:
        image = fresh_disk(build_dir, workdir)
        with session(build_dir, drive(image)) as shell:
            out = shell.run("bench disk 2", timeout=600)
            for row in ("sequential write", "sequential read \\(cold\\)", "small files created",
                        "small files deleted", "compile-like tree"):
                expect_match(r"^%s\s+\d+\s+\d+\s+\S+\s+\d+\.\d\d\s+\d+\.\d\d /\s+\d+\.\d\d$" % row,
                             out, row, shell)
            for driver in ("vfat", "ata"):
                expect_match(r"^recovery of %s\s*: \d+ us .*the reads across it succeeded$"
                             % driver, out, "recovery of " + driver, shell)
            expect_match(r"^hda on /disk type vfat$", shell.run("mount"), "mounted again", shell)
            expect_match(r"^vfat\s+fs\s+isolated\s+running", shell.run("ext list"),
                         "left isolated", shell)
            expect("PANIC" not in shell.output, "kernel panic", shell)


@case
def storage_bochs(build_dir):
    """The default disk in Bochs (as the slave of the first channel, behind the CD): the storage
    stack comes up and every file reads back with the host's hash."""
    with tempfile.TemporaryDirectory(prefix="nkdisk-") as workdir:
        image = fresh_disk(build_dir, workdir)
        result = nkboot.boot_bochs(build_dir, "init=/bin/diskcheck", timeout=600,
                                   until=r"^diskcheck: \d+ files", disks=[("ata0-slave", image)])
        text = result.output
        if not re.search(r"^diskcheck: \d+ files, \d+ directories, 0 errors$", text, re.MULTILINE):
            raise Failure("diskcheck did not finish cleanly:\n" + text[-6000:])
        expect_match(r"^storage: hdb mounted at /disk \(vfat, isolated\)", text, "mounted")
        got = guest_hashes(text)
        for path, digest in site_hashes().items():
            expect(got.get(path) == digest, "%s: Bochs read %s, host has %s"
                   % (path, got.get(path), digest))


if __name__ == "__main__":
    sys.exit(case.main(__doc__))
