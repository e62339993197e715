#!/usr/bin/env python3
"""BGSAVE under write load: redrill-server against the real redis-server (issue 5).

For each server in turn (never both at once: each holds the whole data set), loads
N keys of S bytes, then measures a BGSAVE taken while redis-benchmark keeps
writing random keys over the same key space:

* the clients' throughput, p99 and max latency during the save, divided by the
  same measured over as many benchmark runs without a save, taken before and
  after it;
* the server's memory during the save (its own process plus any child it forks),
  both as summed VmRSS and as summed PSS (shared pages counted once), peak over
  the figure just before the BGSAVE;
* the save's wall time (BGSAVE sent -> completion seen in INFO persistence),
  rdb_last_bgsave_time_sec, and the size of the file written.

Where the machine has two CPUs or more, the server's command thread and
redis-benchmark share the first and the save runs on the others (Redis's own
`server_cpulist` and `bgsave_cpulist`, `taskset` for the benchmark): left to
the kernel, their placement moved the rate by half between runs
(benches/README.md, "CPU placement"). `--no-pin` leaves it to the kernel.

It then checks redrill's figures against the issue's goals. Like
side_by_side.py, a benchmark reports and does not assert: the exit status is
non-zero only when something failed to run, never because a goal was missed.

Python 3.11 standard library only. See benches/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import (  # noqa: E402  (the path above makes it importable)
    DEFAULT_REDIS,
    DEFAULT_REDRILL,
    BenchError,
    Resp,
    Server,
    check_tools,
    load_average,
    log,
    on_signal,
    print_footer,
    resolve_redrill,
)

SAMPLE_INTERVAL = 0.05  # memory and INFO polling period during a save, seconds
SETTLE = 1.0  # pause before memory is read and between phases, seconds
KEY_FORMAT = b"key:%012d"  # redis-benchmark's __rand_int__ expansion: 12 digits
LOAD_SEED = 5  # the pipe loader's values are the same bytes on both servers
MIN_CHUNKS = 3  # benchmark runs per phase, at least
NO_SAVE_CHUNKS = 5  # baseline runs when there is no save to match
BGSAVE_LEAD = 0.1  # seconds the first run of the save phase writes before BGSAVE


@dataclass
class Pinning:
    """Where the server, its save and the benchmark run (None: anywhere)."""

    server: str  # server_cpulist, and the CPUs redis-benchmark runs on
    save: str  # bgsave_cpulist: Redis's fork child, redrill's writer threads

    @staticmethod
    def choose(enabled: bool) -> "Pinning | None":
        """The command thread and the client on the first CPU, the save on the
        others; None when disabled or with one CPU only."""
        cpus = sorted(os.sched_getaffinity(0))
        if not enabled or len(cpus) < 2:
            return None
        if shutil.which("taskset") is None:
            log("taskset not found (util-linux): CPUs left to the kernel")
            return None
        return Pinning(str(cpus[0]), ",".join(str(c) for c in cpus[1:]))

    def describe(self) -> str:
        """One line for the report."""
        return (f"server and redis-benchmark on CPU {self.server}, "
                f"the save on CPU {self.save}")


class SaveServer(Server):
    """A Server started with an explicit --dir, persistence otherwise off."""

    pinning: Pinning | None = None

    def extra_args(self) -> list[str]:
        """The dump goes to the work directory, where the script finds it;
        the CPU lists are Redis's own parameters, which redrill shares."""
        args = ["--dir", str(self.workdir)]
        if self.pinning:
            args += ["--server_cpulist", self.pinning.server,
                     "--bgsave_cpulist", self.pinning.save]
        return args

    def stop(self) -> None:
        """Stop the server and any save child it left behind."""
        kids = descendants(self.proc.pid) if self.proc and self.proc.poll() is None else []
        super().stop()
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# --------------------------------------------------------------------------
# Process memory: VmRSS and PSS of a process and its descendants
# --------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (a forking server's save child)."""
    # /proc/<pid>/task/*/children needs CONFIG_PROC_CHILDREN; scan ppids instead,
    # which works on every kernel and costs ~1 ms for a hundred processes.
    parent_of: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parent_of.setdefault(ppid, []).append(int(name))
    found, todo = [], [pid]
    while todo:
        kids = parent_of.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def proc_kb(path: str, key: str) -> int:
    """A `key:  N kB` figure from a /proc file, in bytes; 0 if the process is gone."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


PSS_EVERY = 20  # PSS only every 20th sample (once a second): see memory_sample


def steal_ticks() -> int | None:
    """The machine's CPU steal time so far, in clock ticks (/proc/stat's 8th
    `cpu` field): time a hypervisor ran something else on this VM's CPUs.
    On a VM whose virtual disk costs the host CPU, a dump's writes show up
    here, and every process on the VM stalls for them, a save's clients too."""
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8])
    except (OSError, ValueError, IndexError):
        return None


def steal_rate(before: int | None, after: int | None, seconds: float) -> float | None:
    """Steal ticks per second between two readings; None if unknown."""
    if before is None or after is None or seconds <= 0:
        return None
    return round((after - before) / seconds, 2)


def memory_sample(pid: int, with_pss: bool = True) -> tuple[int, int | None, int]:
    """(summed VmRSS, summed PSS or None, process count) of `pid` and its
    descendants. Reading smaps_rollup walks the page tables of a 2 GB process
    under its mmap lock, which slows the server measurably, so callers ask
    for PSS only now and then; VmRSS is cheap."""
    pids = [pid, *descendants(pid)]
    rss = sum(proc_kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(proc_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) if with_pss else None
    return rss, pss, len(pids)


# --------------------------------------------------------------------------
# Save monitor: a thread sampling memory and INFO persistence every 50 ms
# --------------------------------------------------------------------------


def info_section(conn: Resp, section: str) -> dict[str, str]:
    """INFO <section> as a dict of strings."""
    text = conn.call("INFO", section)
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


class Monitor(threading.Thread):
    """Samples memory all along; once armed, watches for the save's completion."""

    def __init__(self, srv: SaveServer, dump: Path, timeout: float):
        super().__init__(daemon=True)
        self.srv, self.dump, self.timeout = srv, dump, timeout
        self.samples: list[tuple[float, int, int, int]] = []  # (t, rss, pss, procs)
        self.stop_flag = threading.Event()
        self.done = threading.Event()
        self.armed_at: float | None = None
        self.lastsave_before: str | None = None
        self.seen_in_progress = False
        self.done_at: float | None = None
        self.how = ""  # what told us the save was over
        self.status = ""
        self.error: str | None = None
        self._file_seen: tuple[float, int] | None = None

    def arm(self, lastsave_before: str | None) -> float:
        """Start watching for completion; returns the start time."""
        self.lastsave_before = lastsave_before
        self.armed_at = time.monotonic()
        return self.armed_at

    def run(self) -> None:
        try:
            # A server saving synchronously answers INFO only when done.
            with Resp(self.srv.port, timeout=self.timeout) as conn:
                while not self.stop_flag.is_set():
                    t = time.monotonic()
                    with_pss = len(self.samples) % PSS_EVERY == 0
                    rss, pss, n = memory_sample(self.srv.proc.pid, with_pss)
                    if pss is None:
                        pss = self.samples[-1][2] if self.samples else 0
                    self.samples.append((t, rss, pss, n))
                    if self.armed_at is not None and not self.done.is_set():
                        self._check(conn, t)
                    self.stop_flag.wait(max(0.0, SAMPLE_INTERVAL - (time.monotonic() - t)))
        except (OSError, BenchError) as e:
            self.error = f"monitor: {e}"
            self.done.set()

    def _check(self, conn: Resp, t: float) -> None:
        info = info_section(conn, "persistence")
        self.status = info.get("rdb_last_bgsave_status", "")
        if info.get("rdb_bgsave_in_progress") == "1":
            self.seen_in_progress = True
            return
        if self.seen_in_progress:
            self._finish(t, "rdb_bgsave_in_progress went 1 -> 0")
        elif info.get("rdb_last_save_time") not in (None, self.lastsave_before):
            self._finish(t, "rdb_last_save_time changed")
        elif self._file_settled(t):
            # The server's INFO says nothing; a new file that stopped growing will do.
            self._finish(t, "new dump file stopped growing (INFO silent)")

    def _file_settled(self, t: float) -> bool:
        try:
            st = self.dump.stat()
        except OSError:
            return False
        if st.st_mtime < time.time() - (t - self.armed_at) - 1:
            return False  # older than this BGSAVE
        if self._file_seen and self._file_seen[1] == st.st_size:
            return t - self._file_seen[0] >= 1.0
        self._file_seen = (t, st.st_size)
        return False

    def _finish(self, t: float, how: str) -> None:
        self.done_at, self.how = t, how
        self.done.set()


# --------------------------------------------------------------------------
# Loading and benchmarking
# --------------------------------------------------------------------------


def pipe_load(srv: SaveServer, keys: int, size: int, timeout: float) -> None:
    """SET key:%012d <size seeded random bytes> for every key, via redis-cli --pipe."""
    proc = subprocess.Popen(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(srv.port), "--pipe"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rng = random.Random(LOAD_SEED)
    head = b"*3\r\n$3\r\nSET\r\n$%d\r\n"
    vhead = b"\r\n$%d\r\n" % size
    deadline = time.monotonic() + timeout
    try:
        for start in range(0, keys, 10_000):
            n = min(10_000, keys - start)
            blob = rng.randbytes(n * size)
            parts = []
            for i in range(n):
                key = KEY_FORMAT % (start + i)
                parts += (head % len(key), key, vhead, blob[i * size:(i + 1) * size], b"\r\n")
            proc.stdin.write(b"".join(parts))
            if time.monotonic() > deadline:
                raise BenchError(f"loading {srv.side} took over {timeout:.0f}s")
        # communicate closes stdin, upon which redis-cli collects the replies.
        out = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0]
    except (BrokenPipeError, subprocess.TimeoutExpired) as e:
        proc.kill()
        proc.wait()
        raise BenchError(f"redis-cli --pipe into {srv.side} failed: {e}") from None
    text = out.decode(errors="replace")
    if proc.returncode != 0 or "errors: 0" not in text:
        raise BenchError(f"redis-cli --pipe into {srv.side}: {text.strip()[-300:]}")


def load(srv: SaveServer, method: str, keys: int, size: int, timeout: float) -> int:
    """Fill the server by `method`; returns DBSIZE afterwards."""
    if method == "pipe":
        pipe_load(srv, keys, size, timeout)
    elif method == "populate":
        with Resp(srv.port, timeout=timeout) as c:
            c.call("DEBUG", "POPULATE", str(keys), "key", str(size))
    else:  # redis-benchmark: all-'x' values; -r draws keys with repeats
        res = subprocess.run(
            ["redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-q", "-t", "set",
             "-n", str(keys), "-r", str(keys), "-d", str(size), "-P", "32"],
            capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise BenchError(f"redis-benchmark load into {srv.side} failed: "
                             f"{res.stderr.decode(errors='replace')[-300:]}")
    with Resp(srv.port) as c:
        return int(c.call("DBSIZE"))


@dataclass
class Chunk:
    """One redis-benchmark run's CSV row."""

    requests: int
    rps: float
    p99_ms: float
    max_ms: float
    wall_s: float


def bench_chunk(srv: SaveServer, n: int, args) -> Chunk:
    """redis-benchmark -t set over the loaded key space, n requests."""
    srv.check_alive()
    pin = ["taskset", "-c", srv.pinning.server] if srv.pinning else []
    cmd = [*pin, "redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "--csv",
           "-t", "set", "-n", str(n), "-c", str(args.clients), "-r", str(args.keys),
           "-d", str(args.size)]
    t = time.monotonic()
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=args.timeout,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BenchError(f"redis-benchmark on {srv.side} timed out") from None
    wall = time.monotonic() - t
    for rec in csv.reader(io.StringIO(res.stdout.decode(errors="replace"))):
        if len(rec) >= 8 and rec[0] == "SET":
            try:
                return Chunk(n, float(rec[1]), float(rec[6]), float(rec[7]), wall)
            except ValueError:
                break
    raise BenchError(f"redis-benchmark on {srv.side} gave no SET row (exit "
                     f"{res.returncode}): {res.stderr.decode(errors='replace')[-300:]}")


def summarize(chunks: list[Chunk]) -> dict:
    """Whole-phase figures from its runs (equal request counts)."""
    if not chunks:
        return {}
    busy = sum(c.requests / c.rps for c in chunks if c.rps > 0)
    return {
        "runs": len(chunks),
        "requests": sum(c.requests for c in chunks),
        "seconds": round(sum(c.wall_s for c in chunks), 3),
        "rps": round(sum(c.requests for c in chunks) / busy, 1) if busy else None,
        # Each run reports its own p99; with equal request counts their mean
        # stands for the phase's, and the worst one is kept alongside.
        "p99_ms": round(statistics.fmean(c.p99_ms for c in chunks), 3),
        "worst_p99_ms": max(c.p99_ms for c in chunks),
        "max_ms": max(c.max_ms for c in chunks),
        "per_run": [c.__dict__ for c in chunks],
    }


# --------------------------------------------------------------------------
# One server's whole measurement
# --------------------------------------------------------------------------


def measure(side: str, binary: str, workdir: Path, args) -> dict:
    """Start, load, save under load, baseline, stop; returns the side's results."""
    workdir.mkdir()
    srv = SaveServer(side, binary, workdir)
    srv.pinning = args.pinning
    res: dict = {"side": side, "binary": binary}
    try:
        srv.start()
        log(f"{side}: {binary} on port {srv.port}; loading {args.keys} keys "
            f"of {args.size} B ({args.load})")
        t = time.monotonic()
        res["dbsize"] = load(srv, args.load, args.keys, args.size, args.timeout)
        res["load_s"] = round(time.monotonic() - t, 1)
        log(f"{side}: {res['dbsize']} keys in {res['load_s']}s; warming up")
        warm = bench_chunk(srv, max(10_000, args.keys // 20), args)
        chunk_n = max(1_000, int(warm.rps * args.chunk))
        res["warmup_rps"], res["requests_per_run"] = warm.rps, chunk_n
        # The baseline brackets the save, half its runs before and half after,
        # so that a drift of the shared machine during the measurement weighs
        # on both sides of the ratio alike.
        steal0, t0 = steal_ticks(), time.monotonic()
        before = baseline_runs(srv, chunk_n, MIN_CHUNKS, "before the save", args)
        steal_before = steal_rate(steal0, steal_ticks(), time.monotonic() - t0)
        save_phase(srv, chunk_n, res, args)
        runs = max(MIN_CHUNKS, res.get("during", {}).get("runs", NO_SAVE_CHUNKS) - len(before))
        steal0, t0 = steal_ticks(), time.monotonic()
        after = baseline_runs(srv, chunk_n, runs, "after the save", args)
        steal_after = steal_rate(steal0, steal_ticks(), time.monotonic() - t0)
        res["baseline"] = summarize(before + after)
        known = [r for r in (steal_before, steal_after) if r is not None]
        res["steal_baseline"] = round(statistics.fmean(known), 2) if known else None
        res["baseline_before_rps"] = summarize(before)["rps"]
        res["baseline_after_rps"] = summarize(after)["rps"]
        ratios(res)
    finally:
        srv.stop()
        for f in workdir.glob("*.rdb"):
            f.unlink(missing_ok=True)  # 2 GB each; the next side needs the disk
    return res


def baseline_runs(srv: SaveServer, chunk_n: int, runs: int, when: str, args) -> list[Chunk]:
    """`runs` benchmark runs without a save, memory sampled as during one."""
    log(f"{srv.side}: baseline {when}, {runs} runs of {chunk_n} requests")
    time.sleep(SETTLE)
    # The same memory sampling as during the save (reading smaps_rollup of
    # a 2 GB process is not free), so both phases pay for it alike.
    mon = Monitor(srv, srv.workdir / "baseline-unused.rdb", args.timeout)
    mon.start()
    try:
        return [bench_chunk(srv, chunk_n, args) for _ in range(runs)]
    finally:
        mon.stop_flag.set()
        mon.join()


def save_phase(srv: SaveServer, chunk_n: int, res: dict, args) -> None:
    """BGSAVE, benchmark runs until it completes, memory sampled throughout."""
    with Resp(srv.port) as c:
        dbfile = c.call("CONFIG", "GET", "dbfilename")
        lastsave = info_section(c, "persistence").get("rdb_last_save_time")
    name = dbfile[1].decode() if isinstance(dbfile, list) and len(dbfile) == 2 else "dump.rdb"
    dump = srv.workdir / name
    mon = Monitor(srv, dump, args.timeout)
    mon.start()
    time.sleep(SETTLE)
    chunks: list[Chunk] = []
    try:
        before = mon.samples[-1] if mon.samples else (0.0, 0, 0, 1)
        res["rss_before"], res["pss_before"] = before[1], before[2]
        log(f"{srv.side}: BGSAVE with writes running")
        # The clients are already writing when BGSAVE arrives, so that a pause
        # at its start (Redis's fork) is in their latencies, as in production.
        first: dict = {}

        def first_run() -> None:
            try:
                first["chunk"] = bench_chunk(srv, chunk_n, args)
            except BenchError as e:
                first["error"] = e

        runner = threading.Thread(target=first_run, daemon=True)
        runner.start()
        time.sleep(BGSAVE_LEAD)
        steal0 = steal_ticks()
        t0 = mon.arm(lastsave)
        try:
            with Resp(srv.port, timeout=args.timeout) as c:
                reply = c.call("BGSAVE")
        except BenchError as e:
            runner.join()
            res["save"] = {"mode": "unsupported", "reply": str(e)}
            log(f"{srv.side}: BGSAVE unsupported: {e}")
            return
        reply_s = time.monotonic() - t0
        deadline = t0 + args.timeout
        runner.join()
        if "error" in first:
            raise first["error"]
        chunks.append(first["chunk"])
        while not mon.done.is_set() and time.monotonic() < deadline:
            chunks.append(bench_chunk(srv, chunk_n, args))
        if not mon.done.wait(max(0.0, deadline - time.monotonic())):
            raise BenchError(f"{srv.side}: BGSAVE did not complete in {args.timeout:.0f}s")
        if mon.error:
            raise BenchError(mon.error)
        wall = mon.done_at - t0
        res["steal_during"] = steal_rate(steal0, steal_ticks(), time.monotonic() - t0)
        with Resp(srv.port) as c:
            info = info_section(c, "persistence")
            stats = info_section(c, "stats")
        during = [s for s in mon.samples if t0 <= s[0] <= mon.done_at + SAMPLE_INTERVAL]
        res["rss_peak"] = max((s[1] for s in during), default=None)
        res["pss_peak"] = max((s[2] for s in during), default=None)
        res["max_processes"] = max((s[3] for s in during), default=None)
        res["samples_during_save"] = len(during)
        res["during"] = summarize(chunks)
        background = mon.seen_in_progress or reply_s < wall / 2
        res["save"] = {
            "mode": "background" if background else "synchronous",
            "reply": str(reply), "reply_s": round(reply_s, 3), "wall_s": round(wall, 3),
            "completion": mon.how, "status": info.get("rdb_last_bgsave_status"),
            "last_bgsave_time_sec": info.get("rdb_last_bgsave_time_sec"),
            "last_cow_size": info.get("rdb_last_cow_size"),
            "latest_fork_usec": stats.get("latest_fork_usec"),
            "file": name, "file_bytes": dump.stat().st_size if dump.exists() else None,
        }
        log(f"{srv.side}: save took {wall:.1f}s ({res['save']['mode']}, "
            f"{len(chunks)} benchmark runs during it)")
    finally:
        mon.stop_flag.set()
        mon.join(5.0)


def ratio(a, b) -> float | None:
    """a / b, or None when either is missing or b is zero."""
    return round(a / b, 3) if a is not None and b else None


def ratios(res: dict) -> None:
    """During-save figures over the baseline and over memory before."""
    d, b = res.get("during", {}), res.get("baseline", {})
    res["ratios"] = {
        "rps": ratio(d.get("rps"), b.get("rps")),
        "p99": ratio(d.get("p99_ms"), b.get("p99_ms")),
        "max": ratio(d.get("max_ms"), b.get("max_ms")),
        "rss_peak": ratio(res.get("rss_peak"), res.get("rss_before")),
        "pss_peak": ratio(res.get("pss_peak"), res.get("pss_before")),
    }


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def fmt(v, unit: str = "") -> str:
    """A figure for the table; n/a when missing."""
    if v is None:
        return "n/a"
    if unit == "MiB":
        return f"{v / 2**20:,.0f} MiB"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def table(results: dict[str, dict]) -> str:
    """Per-server figures side by side."""
    sides = list(results)

    def get(r: dict, *path):
        for p in path:
            r = r.get(p) if isinstance(r, dict) else None
        return r

    rows = [
        ("keys loaded (DBSIZE)", ("dbsize",), ""),
        ("load time s", ("load_s",), ""),
        ("save mode", ("save", "mode"), ""),
        ("benchmark runs x requests", None, ""),
        ("baseline rps", ("baseline", "rps"), ""),
        ("  of which before the save", ("baseline_before_rps",), ""),
        ("  of which after the save", ("baseline_after_rps",), ""),
        ("baseline p99 ms", ("baseline", "p99_ms"), ""),
        ("baseline max ms", ("baseline", "max_ms"), ""),
        ("during-save rps", ("during", "rps"), ""),
        ("during-save p99 ms", ("during", "p99_ms"), ""),
        ("during-save max ms", ("during", "max_ms"), ""),
        ("rps ratio (save/none)", ("ratios", "rps"), ""),
        ("p99 ratio (save/none)", ("ratios", "p99"), ""),
        ("max ratio (save/none)", ("ratios", "max"), ""),
        ("RSS before", ("rss_before",), "MiB"),
        ("RSS peak (procs summed)", ("rss_peak",), "MiB"),
        ("RSS peak / before", ("ratios", "rss_peak"), ""),
        ("PSS before", ("pss_before",), "MiB"),
        ("PSS peak (procs summed)", ("pss_peak",), "MiB"),
        ("PSS peak / before", ("ratios", "pss_peak"), ""),
        ("processes seen", ("max_processes",), ""),
        ("save wall time s", ("save", "wall_s"), ""),
        ("rdb_last_bgsave_time_sec", ("save", "last_bgsave_time_sec"), ""),
        ("rdb_last_bgsave_status", ("save", "status"), ""),
        ("latest_fork_usec", ("save", "latest_fork_usec"), ""),
        ("rdb_last_cow_size", ("save", "last_cow_size"), ""),
        ("file size", ("save", "file_bytes"), "MiB"),
        ("CPU steal ticks/s baseline", ("steal_baseline",), ""),
        ("CPU steal ticks/s in save", ("steal_during",), ""),
    ]
    width = 28
    out = [f"{'':{width}}" + "".join(f"{s:>22}" for s in sides)]
    for label, path, unit in rows:
        cells = []
        for s in sides:
            r = results[s]
            if path is None:
                v = f"{get(r, 'during', 'runs') or 0}+{get(r, 'baseline', 'runs') or 0}" \
                    f" x {r.get('requests_per_run', 0):,}"
            elif "error" in r and get(r, *path) is None:
                v = "error"
            else:
                v = fmt(get(r, *path), unit)
            cells.append(f"{v:>22}")
        out.append(f"{label:{width}}" + "".join(cells))
    return "\n".join(out)


def goals(results: dict[str, dict]) -> tuple[str, list[dict]]:
    """redrill against the issue's goals: one PASS/FAIL/n/a line each."""
    rr, rd = results.get("redis", {}), results.get("redrill", {})

    def g(r, *path):
        for p in path:
            r = r.get(p) if isinstance(r, dict) else None
        return r

    unsupported = g(rd, "save", "mode") == "unsupported"
    checks = [
        ("p99 latency ratio", g(rr, "ratios", "p99"), g(rd, "ratios", "p99"),
         "redrill < redis", lambda a, b: b < a),
        ("max latency ratio", g(rr, "ratios", "max"), g(rd, "ratios", "max"),
         "redrill < redis", lambda a, b: b < a),
        ("peak PSS ratio", g(rr, "ratios", "pss_peak"), g(rd, "ratios", "pss_peak"),
         "redrill <= 1.2", lambda a, b: b <= 1.2),
        ("peak RSS ratio", g(rr, "ratios", "rss_peak"), g(rd, "ratios", "rss_peak"),
         "redrill <= 1.2", lambda a, b: b <= 1.2),
        ("write rps ratio", g(rr, "ratios", "rps"), g(rd, "ratios", "rps"),
         "redrill >= 0.9", lambda a, b: b >= 0.9),
        ("save wall time s", g(rr, "save", "wall_s"), g(rd, "save", "wall_s"),
         "redrill <= redis", lambda a, b: b <= a),
    ]
    lines = [f"{'goal':20}{'redis':>10}{'redrill':>10}  {'target':18}result"]
    doc = []
    for name, a, b, target, ok in checks:
        needs_redis = "redis" in target.split()[-1]
        if b is None or (needs_redis and a is None):
            verdict = "n/a (unsupported)" if unsupported else "n/a"
        else:
            verdict = "PASS" if ok(a if a is not None else 0, b) else "FAIL"
        lines.append(f"{name:20}{fmt(a):>10}{fmt(b):>10}  {target:18}{verdict}")
        doc.append({"goal": name, "redis": a, "redrill": b, "target": target,
                    "result": verdict})
    return "\n".join(lines), doc


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis", default=DEFAULT_REDIS, help="redis-server binary")
    p.add_argument("--redrill", default=DEFAULT_REDRILL,
                   help="redrill-server binary (relative paths from the repo root)")
    p.add_argument("--build", action="store_true", help="build redrill-server if missing")
    p.add_argument("--only", choices=("both", "redis", "redrill"), default="both")
    p.add_argument("--keys", type=int, help="keys to load (default 2,000,000)")
    p.add_argument("--size", type=int, default=1000, help="value size in bytes")
    p.add_argument("--quick", action="store_true", help="200,000 keys, 0.25 s runs")
    p.add_argument("--load", choices=("pipe", "populate", "benchmark"), default="pipe",
                   help="pipe: seeded random values via redis-cli --pipe (default)")
    p.add_argument("-c", "--clients", type=int, default=50)
    p.add_argument("--chunk", type=float,
                   help="seconds per redis-benchmark run (default 1, 0.25 with --quick)")
    p.add_argument("--timeout", type=float, default=900.0,
                   help="seconds allowed for a load, a benchmark run or a save")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="let the kernel place the server, its save and the benchmark")
    p.add_argument("--json", help="also write the results to this file")
    a = p.parse_args(argv)
    a.keys = a.keys or (200_000 if a.quick else 2_000_000)
    a.chunk = a.chunk or (0.25 if a.quick else 1.0)
    a.pinning = Pinning.choose(a.pin)
    if a.keys < 1 or a.size < 1 or a.clients < 1 or a.chunk <= 0:
        p.error("--keys, --size, -c and --chunk must be positive")
    return a


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    results: dict[str, dict] = {}
    errors: list[str] = []
    version = None
    loads = [load_average() or 0.0]
    with tempfile.TemporaryDirectory(prefix="redrill-bgsave-") as tmp:
        try:
            version = check_tools(args.redis)
            binaries = {}
            if args.only in ("both", "redis"):
                binaries["redis"] = args.redis
            if args.only in ("both", "redrill"):
                binaries["redrill"] = resolve_redrill(args)
            # One at a time: each server holds the whole data set, and a forking
            # save can double it.
            for side, binary in binaries.items():
                try:
                    results[side] = measure(side, binary, Path(tmp) / side, args)
                except BenchError as e:
                    errors.append(str(e))
                    results[side] = {"side": side, "error": str(e)}
                    log(f"ERROR {e}")
                loads.append(load_average() or 0.0)
        except BenchError as e:
            errors.append(str(e))
            log(f"ERROR {e}")
        except KeyboardInterrupt:
            log("interrupted; servers stopped")
            return 130
    print(f"BGSAVE under writes: {args.keys:,} keys of {args.size} B ({args.load} load), "
          f"redis-benchmark -t set -c {args.clients} -r {args.keys} -d {args.size}")
    print(args.pinning.describe() if args.pinning else "CPUs: not pinned")
    if results:
        print(table(results))
    for side, r in results.items():
        if r.get("save", {}).get("mode") == "unsupported":
            print(f"{side}: BGSAVE unsupported: {r['save']['reply']}")
    text, verdicts = goals(results)
    print(text)
    cpus = os.cpu_count() or 1
    print_footer(loads, errors, "ratios")
    if args.json:
        doc = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "redis_version": version, "keys": args.keys, "size": args.size,
            "load": args.load, "clients": args.clients, "chunk_s": args.chunk,
            "pinning": args.pinning.__dict__ if args.pinning else None,
            "cpus": cpus, "load_averages": loads, "results": results,
            "goals": verdicts, "errors": errors,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
