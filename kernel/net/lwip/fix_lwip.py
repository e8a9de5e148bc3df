#!/usr/bin/env python3
"""fix_lwip.py LWIP_DIR — the project's own corrections to lwIP 2.1.3, made to the unpacked
source in the build tree (the upstream tarball stays as Debian ships it; Debian's patches are for
its Linux port and are not used). Each is an exact replacement that must match once, so a
different lwIP fails loudly here instead of building unfixed.

1. tcp_in.c, tcp_receive(): a segment without data is acceptable when its sequence number is in
   the receive window — and, when that window is zero, when it equals RCV.NXT (RFC 793, 3.3,
   "segment acceptability": length 0, window 0). lwIP tests only the first, so with a zero
   window every pure ACK is "outside the window" and answered with an ACK. Two lwIP ends whose
   windows are both zero (two programs on the loopback interface, each blocked writing to the
   other) then send each other ACKs forever, and the tcpip thread never leaves netif_poll().
"""
import sys

FIXES = [
    ("src/core/tcp_in.c",
     """    if (!TCP_SEQ_BETWEEN(seqno, pcb->rcv_nxt, pcb->rcv_nxt + pcb->rcv_wnd - 1)) {
      tcp_ack_now(pcb);
    }""",
     """    if (pcb->rcv_wnd == 0 ? seqno != pcb->rcv_nxt
                          : !TCP_SEQ_BETWEEN(seqno, pcb->rcv_nxt, pcb->rcv_nxt + pcb->rcv_wnd - 1)) {
      tcp_ack_now(pcb);
    }"""),
]


def main():
    root = sys.argv[1]
    for path, old, new in FIXES:
        full = root + "/" + path
        with open(full) as f:
            text = f.read()
        if text.count(old) != 1:
            sys.exit("fix_lwip: %s does not hold the expected code once; not lwIP 2.1.3?" % path)
        with open(full, "w") as f:
            f.write(text.replace(old, new))


if __name__ == "__main__":
    main()
