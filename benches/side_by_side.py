#!/usr/bin/env python3
"""Whole-server side-by-side benchmark: redrill-server against the real redis-server.

Starts both servers on free loopback ports with the same configuration, runs
redis-benchmark against each (alternating redis, redrill, redis, redrill... and
flipping the order every run, so machine drift and ordering bias hit both sides
alike), prints the median throughput per test and the ratio redrill/redis, then
loads the same key set into fresh servers twice (DEBUG POPULATE and redis-cli
--pipe) and reports memory per key from INFO and from /proc/<pid>/status.

A benchmark reports; it does not assert. The exit status is non-zero only when
something failed to run (a server that does not start, a tool that errors or
times out), never because redrill is slower or bigger.

Python 3.11 standard library only. See benches/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDRILL = "target/release/redrill-server"
DEFAULT_REDIS = "/usr/bin/redis-server"
SIDES = ("redis", "redrill")

# Every external step is bounded; these are the defaults (seconds).
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
COMMAND_TIMEOUT = 120.0
BUILD_TIMEOUT = 1800.0
RSS_SETTLE = 0.5


@dataclass(frozen=True)
class BenchTest:
    """One redis-benchmark invocation: a -t name with its pipeline and value size."""

    name: str  # the -t argument
    pipeline: int
    datasize: int

    @property
    def id(self) -> str:
        """Stable identifier, e.g. set-P16 or get-d1024."""
        suffix = f"d{self.datasize}" if self.datasize != 3 else f"P{self.pipeline}"
        return f"{self.name}-{suffix}"

    def label(self, row: str) -> str:
        """Table label for one CSV row this invocation produced (ping gives two)."""
        row = row.split(" (")[0]  # "MSET (10 keys)" -> "MSET"
        if self.datasize != 3:
            return f"{row} -d{self.datasize}"
        return f"{row} -P{self.pipeline}"


# The data-type tests (issue 3) run redis-benchmark's own LPUSH ... LRANGE_600.
TYPE_TESTS = ("lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop", "zadd",
              "zpopmin", "lrange_100", "lrange_600")
ALL_TESTS = [
    *(BenchTest(t, 1, 3) for t in ("ping", "set", "get", "incr", "mset")),
    *(BenchTest(t, 16, 3) for t in ("ping", "set", "get", "incr", "mset")),
    BenchTest("set", 1, 1024),
    BenchTest("get", 1, 1024),
    *(BenchTest(t, 1, 3) for t in TYPE_TESTS),
    *(BenchTest(t, 16, 3) for t in TYPE_TESTS),
]
# populate / pipe: 1,000,000 small strings; hashes: 100,000 hashes of 10 small
# fields; sets: 100,000 sets of 10 small integers (the compact encodings).
MEMORY_METHODS = ("populate", "pipe", "hashes", "sets")
COLLECTION_KEYS = 100_000


class BenchError(Exception):
    """A failure to run something (as opposed to a slow result)."""


# --------------------------------------------------------------------------
# A minimal RESP client, enough for PING, INFO, FLUSHALL, DBSIZE and DEBUG.
# --------------------------------------------------------------------------


class Resp:
    """Blocking RESP2 connection with a timeout on every socket operation."""

    def __init__(self, port: int, timeout: float = COMMAND_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = self.sock.makefile("rb")

    def close(self) -> None:
        """Close the connection."""
        try:
            self.buf.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Resp":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, *args: str | bytes):
        """Send one command and return its reply; error replies raise BenchError."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(out))
        reply = self._read()
        if isinstance(reply, RespError):
            raise BenchError(f"{' '.join(map(str, args))!r} -> {reply}")
        return reply

    def _line(self) -> bytes:
        line = self.buf.readline(1 << 20)
        if not line.endswith(b"\r\n"):
            raise BenchError("connection closed or malformed reply")
        return line[:-2]

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode(errors="replace")
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.buf.read(n + 2)
            if len(data) != n + 2:
                raise BenchError("connection closed inside a bulk reply")
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise BenchError(f"unexpected reply line {line[:60]!r}")


class RespError(str):
    """An error reply, kept apart from a status reply."""


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port the kernel considers free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One running server process, its port and its log."""

    side: str
    binary: str
    workdir: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    starts: int = field(default=0)

    def start(self) -> None:
        """Start on a fresh free port and wait until it answers PING."""
        self.starts += 1
        self.port = free_port()
        self.log_path = self.workdir / f"{self.side}-{self.starts}.log"
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--enable-debug-command", "yes",
            *self.extra_args(),
        ]
        with open(self.log_path, "wb") as log:
            # A new session keeps a terminal Ctrl-C away from the server: this
            # script stops it itself, in order, from its finally block.
            self.proc = subprocess.Popen(
                args, cwd=self.workdir, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self.check_alive()
            try:
                with Resp(self.port, timeout=2.0) as c:
                    if c.call("PING") == "PONG":
                        return
            except (OSError, BenchError):
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"{self.side} did not answer PING within "
                                 f"{START_TIMEOUT:.0f}s\n{self.log_tail()}")
            time.sleep(0.05)

    def extra_args(self) -> list[str]:
        """More server options, for scripts that start servers differently."""
        return []

    def check_alive(self) -> None:
        """Raise if the process has exited."""
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise BenchError(f"{self.side} server is not running (exit {code})\n"
                             f"{self.log_tail()}")

    def stop(self) -> None:
        """Terminate, then kill if it lingers."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the server's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""
        tail = text.splitlines()[-lines:]
        return "\n".join(f"  [{self.side} log] {l}" for l in tail)

    def vmrss(self) -> int:
        """Resident set size in bytes, from /proc/<pid>/status."""
        self.check_alive()
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    value, unit = line.split()[1:3]
                    assert unit == "kB"
                    return int(value) * 1024
        raise BenchError(f"no VmRSS in /proc/{self.proc.pid}/status")


# --------------------------------------------------------------------------
# Throughput
# --------------------------------------------------------------------------


def run_benchmark(srv: Server, test: BenchTest, n: int, clients: int,
                  timeout: float) -> dict[str, float]:
    """One redis-benchmark run; returns {csv test name: requests per second}."""
    srv.check_alive()
    args = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-q", "--csv",
            "-t", test.name, "-n", str(n), "-c", str(clients),
            "-P", str(test.pipeline), "-r", "100000", "-d", str(test.datasize)]
    try:
        res = subprocess.run(args, capture_output=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BenchError(f"redis-benchmark {test.id} on {srv.side} timed out "
                         f"after {timeout:.0f}s") from None
    out = res.stdout.decode(errors="replace")
    rows = {}
    for rec in csv.reader(io.StringIO(out)):
        # The LRANGE tests fill their list first; that LPUSH is not a result.
        if len(rec) >= 2 and rec[0].startswith("LPUSH (needed"):
            continue
        if len(rec) >= 2 and rec[0] != "test":
            try:
                rows[rec[0]] = float(rec[1])
            except ValueError:
                pass
    if res.returncode != 0 or not rows:
        err = res.stderr.decode(errors="replace").strip()[-600:]
        raise BenchError(f"redis-benchmark {test.id} on {srv.side} failed "
                         f"(exit {res.returncode}): {err or out[-600:]}")
    return rows


def spread(values: list[float]) -> float:
    """Half the range as a fraction of the median: the run-to-run noise."""
    med = statistics.median(values)
    return (max(values) - min(values)) / 2 / med if med else 0.0


def throughput(servers: dict[str, Server], tests: list[BenchTest], args) -> tuple[list, list]:
    """Run every test `runs` times on each side, alternating; return rows and errors."""
    # test id -> side -> csv row -> run number -> requests per second
    samples: dict[str, dict[str, dict[str, dict[int, float]]]] = {}
    labels: dict[tuple[str, str], str] = {}
    errors: list[str] = []
    failed: set[tuple[str, str]] = set()
    sides = list(servers)
    for run in range(args.runs):
        order = sides if run % 2 == 0 else sides[::-1]
        for test in tests:
            n = args.n16 if test.pipeline > 1 else args.n1
            for side in order:
                if (test.id, side) in failed:
                    continue
                try:
                    rows = run_benchmark(servers[side], test, n, args.clients, args.timeout)
                except BenchError as e:
                    errors.append(str(e))
                    failed.add((test.id, side))
                    log(f"  ERROR {e}")
                    if servers[side].proc is None or servers[side].proc.poll() is not None:
                        errors.append(f"{side} server died; remaining throughput tests skipped")
                        return summarize(samples, labels, tests, sides), errors
                    continue
                for row, rps in rows.items():
                    labels[(test.id, row)] = test.label(row)
                    samples.setdefault(test.id, {}).setdefault(side, {}) \
                        .setdefault(row, {})[run] = rps
                log(f"  run {run + 1}/{args.runs} {test.id:10} {side:8} " +
                    " ".join(f"{r}={v:.0f}" for r, v in rows.items()))
    return summarize(samples, labels, tests, sides), errors


def summarize(samples: dict, labels: dict, tests: list[BenchTest], sides: list[str]) -> list:
    """Medians, spreads and ratios per CSV row, in test order."""
    results = []
    for test in tests:
        per_side = samples.get(test.id, {})
        row_names = []
        for side in sides:
            for r in per_side.get(side, {}):
                if r not in row_names:
                    row_names.append(r)
        for row in row_names:
            entry = {"test": labels[(test.id, row)], "id": test.id, "row": row,
                     "pipeline": test.pipeline, "datasize": test.datasize}
            by_run = {side: per_side.get(side, {}).get(row, {}) for side in SIDES}
            for side in SIDES:
                vals = list(by_run[side].values())
                entry[side] = None if not vals else {
                    "median_rps": statistics.median(vals), "runs_rps": vals,
                    "spread": spread(vals)}
            # Each run's two samples were taken back to back, so their ratio is
            # free of the drift between runs; the median of those is the headline.
            paired = [by_run["redrill"][r] / by_run["redis"][r]
                      for r in sorted(by_run["redis"]) if r in by_run["redrill"]
                      and by_run["redis"][r]]
            entry["run_ratios"] = paired
            entry["ratio"] = statistics.median(paired) if paired else None
            entry["ratio_spread"] = spread(paired) if paired else None
            a, b = entry["redis"], entry["redrill"]
            entry["ratio_of_medians"] = (b["median_rps"] / a["median_rps"]
                                         if a and b and a["median_rps"] else None)
            results.append(entry)
    return results


# --------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------


def info_memory(srv: Server) -> dict[str, int]:
    """used_memory and used_memory_rss from INFO memory (absent fields omitted)."""
    with Resp(srv.port) as c:
        text = c.call("INFO", "memory")
    fields = {}
    for line in (text or b"").decode(errors="replace").splitlines():
        k, _, v = line.partition(":")
        if k in ("used_memory", "used_memory_rss"):
            try:
                fields[k] = int(v.strip())
            except ValueError:
                pass
    return fields


def snapshot(srv: Server) -> dict[str, int | None]:
    """Memory figures of one server once its periodic statistics have caught up."""
    # Redis samples used_memory_rss in its cron every 100 ms; give it a few ticks.
    time.sleep(RSS_SETTLE)
    info = info_memory(srv)
    return {"used_memory": info.get("used_memory"),
            "used_memory_rss": info.get("used_memory_rss"),
            "vmrss": srv.vmrss()}


def pipe_payload(path: Path, keys: int) -> None:
    """Write SET key:<n> value:<n> for n in 0..keys as RESP: the keys DEBUG POPULATE makes."""
    with open(path, "wb") as f:
        chunk = []
        for i in range(keys):
            k, v = b"key:%d" % i, b"value:%d" % i
            chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                         % (len(k), k, len(v), v))
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))


def collection_payload(path: Path, kind: str, keys: int) -> None:
    """HSET hash:<n> f0 v<n> ... f9 (10 small fields) or SADD set:<n> with 10 small integers."""
    with open(path, "wb") as f:
        chunk = []
        for i in range(keys):
            if kind == "hashes":
                args = [b"HSET", b"hash:%d" % i]
                for j in range(10):
                    args += [b"field:%d" % j, b"v%d" % ((i + j) % 1000)]
            else:
                args = [b"SADD", b"set:%d" % i] + [b"%d" % ((i + j * 7) % 10000) for j in range(10)]
            chunk.append(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))


def load_keys(srv: Server, method: str, keys: int, payload: Path, timeout: float) -> None:
    """Load `keys` keys into srv: DEBUG POPULATE, or a redis-cli --pipe payload."""
    if method == "populate":
        with Resp(srv.port, timeout=timeout) as c:
            c.call("DEBUG", "POPULATE", str(keys))
    else:
        with open(payload, "rb") as stdin:
            try:
                res = subprocess.run(
                    ["redis-cli", "-h", "127.0.0.1", "-p", str(srv.port), "--pipe"],
                    stdin=stdin, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise BenchError(f"redis-cli --pipe on {srv.side} timed out") from None
        out = res.stdout.decode(errors="replace")
        if res.returncode != 0 or f"errors: 0, replies: {keys}" not in out:
            raise BenchError(f"redis-cli --pipe on {srv.side} failed (exit "
                             f"{res.returncode}): {out.strip()[-400:]} "
                             f"{res.stderr.decode(errors='replace').strip()[-400:]}")
    with Resp(srv.port) as c:
        size = c.call("DBSIZE")
    if size != keys:
        raise BenchError(f"{srv.side}: DBSIZE is {size} after loading {keys} keys by {method}")


def per_key(before: dict, after: dict, name: str, keys: int) -> float | None:
    """Growth of one memory figure divided by the number of keys loaded."""
    if before.get(name) is None or after.get(name) is None:
        return None
    return (after[name] - before[name]) / keys


def memory(servers: dict[str, Server], methods: list[str], args, workdir: Path):
    """Per-key memory for each load method, each side in a freshly started server."""
    payloads = {m: workdir / f"{m}.resp" for m in methods if m != "populate"}
    if "pipe" in methods:
        pipe_payload(payloads["pipe"], args.keys)
    collection_keys = max(1, COLLECTION_KEYS // (10 if args.quick else 1))
    for kind in ("hashes", "sets"):
        if kind in methods:
            collection_payload(payloads[kind], kind, collection_keys)
    results, errors = [], []
    for method in methods:
        keys = collection_keys if method in ("hashes", "sets") else args.keys
        payload = payloads.get(method, workdir / "none")
        entry = {"method": method, "keys": keys}
        for side, srv in servers.items():
            srv.stop()
            srv.start()
            try:
                with Resp(srv.port) as c:
                    c.call("FLUSHALL")
                before = snapshot(srv)
                t0 = time.monotonic()
                load_keys(srv, method, keys, payload, args.timeout)
                load_s = time.monotonic() - t0
                after = snapshot(srv)
            except (BenchError, OSError) as e:
                errors.append(f"memory {method} on {side}: {e}")
                log(f"  ERROR memory {method} on {side}: {e}")
                entry[side] = None
                continue
            entry[side] = {
                "before": before, "after": after, "load_seconds": load_s,
                "used_memory_per_key": per_key(before, after, "used_memory", keys),
                "used_memory_rss_per_key": per_key(before, after, "used_memory_rss", keys),
                "vmrss_per_key": per_key(before, after, "vmrss", keys),
            }
            log(f"  memory {method:8} {side:8} loaded in {load_s:.1f}s, "
                f"used_memory/key={fmt_bytes(entry[side]['used_memory_per_key'])} "
                f"VmRSS/key={fmt_bytes(entry[side]['vmrss_per_key'])}")
        for fig in ("used_memory_per_key", "used_memory_rss_per_key", "vmrss_per_key"):
            a = (entry.get("redis") or {}).get(fig)
            b = (entry.get("redrill") or {}).get(fig)
            entry[f"ratio_{fig}"] = b / a if a and b is not None else None
        results.append(entry)
    return results, errors


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def log(msg: str) -> None:
    """Progress goes to stderr so stdout holds only the report."""
    print(msg, file=sys.stderr, flush=True)


def fmt_rps(side: dict | None) -> str:
    if not side:
        return "-"
    return f"{side['median_rps']:.0f} (±{side['spread'] * 100:.1f}%)"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}"


def fmt_bytes(b: float | None) -> str:
    return "n/a" if b is None else f"{b:.1f} B"


METHOD_NAMES = {"populate": "DEBUG POPULATE", "pipe": "redis-cli --pipe",
                "hashes": "hashes of 10 fields, redis-cli --pipe",
                "sets": "sets of 10 small integers, redis-cli --pipe"}


def report(tp: list, mem: list) -> str:
    """The human-readable table."""
    lines = []
    if tp:
        lines.append(f"{'test':<18} {'redis rps':>18} {'redrill rps':>18} "
                     f"{'redrill/redis':>16}")
        for e in tp:
            ratio = fmt_ratio(e["ratio"])
            if e["ratio_spread"] is not None:
                ratio += f" (±{e['ratio_spread'] * 100:.0f}%)"
            lines.append(f"{e['test']:<18} {fmt_rps(e['redis']):>18} "
                         f"{fmt_rps(e['redrill']):>18} {ratio:>16}")
        lines.append("(rps: median over runs; ratio: median of the per-run ratios, each "
                     "run's two samples taken back to back; ±: half the min-max range "
                     "over runs, as a share of the median)")
    for e in mem:
        r, d = e.get("redis") or {}, e.get("redrill") or {}
        lines.append(
            f"memory per key ({e['keys']:,} keys via {METHOD_NAMES[e['method']]}): "
            f"used_memory redis {fmt_bytes(r.get('used_memory_per_key'))}, "
            f"redrill {fmt_bytes(d.get('used_memory_per_key'))}, "
            f"ratio {fmt_ratio(e['ratio_used_memory_per_key'])}; "
            f"RSS (VmRSS) redis {fmt_bytes(r.get('vmrss_per_key'))}, "
            f"redrill {fmt_bytes(d.get('vmrss_per_key'))}, "
            f"ratio {fmt_ratio(e['ratio_vmrss_per_key'])}; "
            f"INFO used_memory_rss redis {fmt_bytes(r.get('used_memory_rss_per_key'))}, "
            f"redrill {fmt_bytes(d.get('used_memory_rss_per_key'))}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def select(spec: str | None) -> tuple[list[BenchTest], list[str]]:
    """Tests and memory methods matching a comma list of ids, names or groups."""
    if not spec:
        return list(ALL_TESTS), list(MEMORY_METHODS)
    tokens = {t.strip().lower() for t in spec.split(",") if t.strip()}
    tests = [t for t in ALL_TESTS
             if tokens & {t.id.lower(), t.name, t.id.split("-")[1].lower(), "throughput"}]
    methods = [m for m in MEMORY_METHODS if tokens & {m, "memory"}]
    known = ({t.id.lower() for t in ALL_TESTS} | {t.name for t in ALL_TESTS}
             | {"p1", "p16", "d1024", "throughput", "memory", *MEMORY_METHODS})
    unknown = tokens - known
    if unknown:
        raise SystemExit(f"--tests: unknown {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(sorted(known))}")
    return tests, methods


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark redrill-server against redis-server side by side.")
    p.add_argument("--redrill", default=DEFAULT_REDRILL,
                   help="redrill-server binary (relative paths are from the repo root)")
    p.add_argument("--redis", default=DEFAULT_REDIS, help="redis-server binary")
    p.add_argument("--build", action="store_true",
                   help="cargo build --release -p redrill-server if --redrill is missing")
    p.add_argument("--only", choices=("redis", "both"), default="both",
                   help="'redis' runs the redis side alone (for testing the script)")
    p.add_argument("--tests", help="comma list of test ids (set-P16), commands (set), "
                   "groups (P1, P16, d1024, throughput, memory) or memory methods "
                   "(populate, pipe); default all")
    p.add_argument("--runs", type=int, default=3, help="runs per test per side (default 3)")
    p.add_argument("--quick", action="store_true",
                   help="divide request counts and the memory key count by 10")
    p.add_argument("-n", dest="n1", type=int, help="requests per -P 1 run (default 200000)")
    p.add_argument("--n16", type=int, help="requests per -P 16 run (default 1000000)")
    p.add_argument("--keys", type=int, help="keys loaded for memory (default 1000000)")
    p.add_argument("-c", dest="clients", type=int, default=50, help="clients (default 50)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds allowed for any one benchmark or load (default 300)")
    p.add_argument("--json", help="also write the results as JSON to this path")
    a = p.parse_args(argv)
    div = 10 if a.quick else 1
    a.n1 = a.n1 or 200_000 // div
    a.n16 = a.n16 or 1_000_000 // div
    a.keys = a.keys or 1_000_000 // div
    if a.runs < 1 or a.n1 < 1 or a.n16 < 1 or a.keys < 1 or a.clients < 1:
        p.error("--runs, -n, --n16, --keys and -c must be positive")
    return a


def resolve_redrill(args) -> str:
    """Path of the redrill binary, building it first when asked."""
    path = Path(args.redrill)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists() and args.build:
        log("building redrill-server (cargo build --release -p redrill-server)...")
        env = {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"}
        try:
            res = subprocess.run(["cargo", "build", "--release", "-p", "redrill-server"],
                                 cwd=REPO_ROOT, env=env, timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BenchError("cargo build timed out") from None
        if res.returncode != 0:
            raise BenchError(f"cargo build failed (exit {res.returncode})")
    if not path.exists():
        raise BenchError(f"{path} not found (build it, or pass --build or --redrill)")
    return str(path)


def check_tools(redis_bin: str) -> str:
    """Fail early when a needed tool is missing; return redis-server's version line."""
    for tool in ("redis-benchmark", "redis-cli"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} not found on PATH")
    try:
        res = subprocess.run([redis_bin, "--version"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"cannot run {redis_bin}: {e}") from None
    return res.stdout.decode(errors="replace").strip()


def load_average() -> float | None:
    """The one-minute load average, to flag runs on a busy machine."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def print_footer(loads: list[float], errors: list[str], noun: str) -> None:
    """Warns when other work loaded the machine, then lists any errors."""
    cpus = os.cpu_count() or 1
    # Before the run the load should be near 0; after it, our own client and
    # server account for about 2 on their own.
    if loads[0] > 1.0 or max(loads) > cpus + 0.5:
        print(f"warning: load average was {max(loads):.1f} on {cpus} cores during the "
              f"run; other work competed with the benchmark, expect noisy {noun}")
    if errors:
        print(f"{len(errors)} error(s):\n" + "\n".join(f"  {e}" for e in errors))


def on_signal(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so the finally block stops the servers.
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    tests, methods = select(args.tests)
    # Explicitly, since a shell starting us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    servers: dict[str, Server] = {}
    errors: list[str] = []
    tp, mem = [], []
    version = None
    loads = [load_average() or 0.0]  # one-minute load before and after the run
    with tempfile.TemporaryDirectory(prefix="redrill-bench-") as tmp:
        workdir = Path(tmp)
        try:
            version = check_tools(args.redis)
            binaries = {"redis": args.redis}
            if args.only == "both":
                binaries["redrill"] = resolve_redrill(args)
            for side, binary in binaries.items():
                servers[side] = Server(side, binary, workdir)
                servers[side].start()
                log(f"{side}: {binary} on port {servers[side].port}")
            t0 = time.monotonic()
            if tests:
                tp, errs = throughput(servers, tests, args)
                errors += errs
            if methods:
                mem, errs = memory(servers, methods, args, workdir)
                errors += errs
            loads.append(load_average() or 0.0)
            log(f"done in {time.monotonic() - t0:.0f}s")
        except BenchError as e:
            errors.append(str(e))
            log(f"ERROR {e}")
        except KeyboardInterrupt:
            log("interrupted; stopping servers")
            return 130
        finally:
            for srv in servers.values():
                srv.stop()
    text = report(tp, mem)
    if text:
        print(text)
    print_footer(loads, errors, "ratios")
    if args.json:
        doc = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "redis_server": args.redis, "redis_version": version,
            "redrill_server": servers["redrill"].binary if "redrill" in servers else None,
            "runs": args.runs, "clients": args.clients, "requests_p1": args.n1,
            "requests_p16": args.n16, "cpus": os.cpu_count(), "load_averages": loads,
            "throughput": tp, "memory": mem, "errors": errors,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
