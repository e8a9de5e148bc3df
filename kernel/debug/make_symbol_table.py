#!/usr/bin/env python3
"""Builds the kernel's symbol table blob (layout in kernel/debug/symbol_table.h) from
`nm -n -S -C --defined-only` output of the first link pass. Only code symbols are kept: the
table exists to name functions in backtraces.

usage: make_symbol_table.py NM_OUTPUT OUT.bin     (NM_OUTPUT may be /dev/null: empty table)
       make_symbol_table.py --check PASS1_NM FINAL_NM
           fails when a code symbol moved between the two link passes (the table would lie)
"""
import struct
import sys

MAGIC = 0x4D59534B  # "KSYM"
CODE_TYPES = set("tTwW")


def parse_nm(lines):
    symbols = []
    for line in lines:
        parts = line.rstrip("\n").split(" ", 3)
        # With -S: "address size type name"; symbols without a size: "address type name".
        if len(parts) == 4 and len(parts[2]) == 1:
            address, size, kind, name = parts
            size = int(size, 16)
        elif len(parts) >= 3 and len(parts[1]) == 1:
            address, kind = parts[0], parts[1]
            name = line.rstrip("\n").split(" ", 2)[2]
            size = 0
        else:
            continue
        if kind not in CODE_TYPES:
            continue
        symbols.append((int(address, 16), size, name))
    symbols.sort(key=lambda s: s[0])
    return symbols


def build(symbols):
    strings = bytearray()
    entries = bytearray()
    offsets = {}
    for address, size, name in symbols:
        if name not in offsets:
            offsets[name] = len(strings)
            strings += name.encode("utf-8", "replace") + b"\0"
        entries += struct.pack("<QII", address, min(size, 0xFFFFFFFF), offsets[name])
    header_size = 16
    strings_offset = header_size + len(entries)
    header = struct.pack("<IIII", MAGIC, len(symbols), strings_offset, len(strings))
    return header + entries + strings


def check(first_path, final_path):
    def code_symbols(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            return {(name, address) for address, _, name in parse_nm(f)}

    first, final = code_symbols(first_path), code_symbols(final_path)
    moved = sorted(first ^ final)
    if moved:
        sys.exit("make_symbol_table: code moved between link passes: %r" % moved[:5])


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        symbols = parse_nm(f)
    with open(sys.argv[2], "wb") as f:
        f.write(build(symbols))


if __name__ == "__main__":
    main()
