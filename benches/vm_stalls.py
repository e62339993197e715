#!/usr/bin/env python3
"""Stops of the whole machine, seen from a real-time thread: a VM's steal time.

A thread under SCHED_FIFO preempts every ordinary process, so when it wakes
late from a 1 ms sleep, either the kernel ran something it could not preempt
or the hypervisor took the CPU away (steal time, /proc/stat's 8th `cpu`
field). Each second this prints the worst oversleep, how many passed 5 ms,
and the steal and iowait ticks of that second.

On a VM whose virtual disk costs the host CPU, disk writes made while the
guest's CPUs are busy show up here as stops of several milliseconds. Every
process on the VM stalls for them, a server and its clients alike. That is
what bounds a save's worst request latency on such a machine (see
benches/README.md, bgsave.py).

    chrt -f 50 python3 benches/vm_stalls.py --seconds 30
    # and, to make the stops without any server's save, write beside a load:
    chrt -f 50 python3 benches/vm_stalls.py --seconds 12 \\
        --write target/stall-test.bin --rate-mb 110 --block-kib 1024 --sync-mb 4 --direct

The writer runs in a child process at normal priority; its file is removed
at the end (which, on a file system mounted with `discard`, is itself a
stop worth watching: the script waits 3 s after the last fsync first).
Standard library only; Linux only.
"""

from __future__ import annotations

import argparse
import mmap
import os
import sys
import time


def cpu_ticks() -> list[int]:
    """/proc/stat's first `cpu` line: user nice system idle iowait irq softirq steal."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:9]]


def stamp(unix_s: float) -> str:
    """HH:MM:SS.mmm in UTC, to line up with server logs."""
    return time.strftime("%H:%M:%S", time.gmtime(unix_s)) + f".{int(unix_s * 1000) % 1000:03d}"


def detect(seconds: float, threshold_ms: float) -> None:
    """The real-time loop: one line per second."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        before, start = cpu_ticks(), time.time()
        second_end = time.monotonic() + 1.0
        worst, over = 0.0, 0
        while time.monotonic() < second_end:
            t = time.monotonic()
            time.sleep(0.001)
            late = time.monotonic() - t - 0.001
            worst = max(worst, late)
            over += late * 1000 > threshold_ms
        after = cpu_ticks()
        print(f"{stamp(start)}  worst {worst * 1000:6.2f} ms  >{threshold_ms:g}ms {over:3d}"
              f"  steal {after[7] - before[7]:3d}  iowait {after[4] - before[4]:3d}",
              flush=True)


def write_paced(args: argparse.Namespace) -> None:
    """The child: writes `--rate-mb` MB/s in `--block-kib` blocks for
    `--seconds` minus 4, fdatasyncs every `--sync-mb`, fsyncs, waits 3 s,
    removes the file."""
    block = args.block_kib << 10
    buf = mmap.mmap(-1, block)  # page-aligned, as O_DIRECT wants
    buf.write(os.urandom(block))
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_DIRECT if args.direct else 0)
    fd = os.open(args.write, flags, 0o644)
    rate = args.rate_mb << 20
    start, written, synced = time.monotonic(), 0, 0
    try:
        while time.monotonic() - start < max(1.0, args.seconds - 4):
            os.write(fd, buf)
            written += block
            if args.sync_mb and written - synced >= args.sync_mb << 20:
                os.fdatasync(fd)
                synced = written
            ahead = written / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        t = time.monotonic()
        os.fsync(fd)
        print(f"{stamp(time.time())}  writer: {written >> 20} MiB, final fsync "
              f"{(time.monotonic() - t) * 1000:.0f} ms; removing the file in 3 s",
              file=sys.stderr, flush=True)
    finally:
        os.close(fd)
    time.sleep(3)
    os.unlink(args.write)
    print(f"{stamp(time.time())}  writer: file removed", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--threshold-ms", type=float, default=5.0,
                   help="oversleeps counted per second above this (5)")
    p.add_argument("--write", metavar="PATH", help="also write this file from a child process")
    p.add_argument("--rate-mb", type=int, default=110, help="MB/s to write (110)")
    p.add_argument("--block-kib", type=int, default=1024, help="bytes per write(2), KiB (1024)")
    p.add_argument("--sync-mb", type=int, default=0, help="fdatasync every so many MB (0: none)")
    p.add_argument("--direct", action="store_true", help="open the file with O_DIRECT")
    args = p.parse_args(argv)
    if os.sched_getscheduler(0) != os.SCHED_FIFO:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        except PermissionError:
            print("warning: not SCHED_FIFO (run as root or under chrt -f 50): "
                  "oversleeps include ordinary scheduling delays", file=sys.stderr)
    child = None
    if args.write:
        child = os.fork()
        if child == 0:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            try:
                write_paced(args)
            finally:
                os._exit(0)
    try:
        detect(args.seconds, args.threshold_ms)
    finally:
        if child:
            os.waitpid(child, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
