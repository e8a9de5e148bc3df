#!/usr/bin/env python3
"""Makes the default disk: a FAT32 volume (mkfs.vfat from dosfstools) holding the web site in
site/ plus a generated large file (files/random-4MiB.bin, SHA-256 in counter mode over a fixed
seed, so it is the same on every machine without living in the repository), copied in with
mtools.

    make_disk_image.py SITE_DIR OUTPUT [--size-mib N]
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

BIG_FILE = "random-4MiB.bin"
BIG_SIZE = 4 << 20


def tool(name):
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)), None)
    if not found:
        sys.exit(f"make_disk_image: {name} not found (install dosfstools and mtools)")
    return found


def big_file_bytes():
    out = bytearray()
    counter = 0
    while len(out) < BIG_SIZE:
        out += hashlib.sha256(b"nooks-disk-%d" % counter).digest()
        counter += 1
    return bytes(out[:BIG_SIZE])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("output")
    parser.add_argument("--size-mib", type=int, default=512)
    args = parser.parse_args()
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")
    partial = args.output + ".partial"
    if os.path.exists(partial):
        os.remove(partial)
    # FAT32 with 4 KiB clusters: 512 MiB gives ~131000 clusters, well past FAT32's minimum of
    # 65525 (Microsoft FAT specification, "FAT type determination").
    subprocess.run([tool("mkfs.vfat"), "-F", "32", "-s", "8", "-S", "512", "-n", "NOOKS", "-i", "4e4b0001", "-C",
                    partial, str(args.size_mib * 1024)], check=True, stdout=subprocess.DEVNULL)
    entries = sorted(os.listdir(args.site))
    if entries:
        subprocess.run([tool("mcopy"), "-s", "-Q", "-i", partial,
                        *[os.path.join(args.site, e) for e in entries], "::/"], check=True,
                       env=env)
    with tempfile.TemporaryDirectory() as work:
        big = os.path.join(work, BIG_FILE)
        with open(big, "wb") as f:
            f.write(big_file_bytes())
        subprocess.run([tool("mcopy"), "-Q", "-i", partial, big, "::/files/" + BIG_FILE],
                       check=True, env=env)
    os.replace(partial, args.output)


if __name__ == "__main__":
    main()
