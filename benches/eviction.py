#!/usr/bin/env python3
"""Eviction side by side: redrill-server against the real redis-server under maxmemory.

Two measurements, each on freshly started servers with the same settings:

1. Hit ratio. `redis-cli --lru-test N` is Redis's own eviction workload: one
   client pipelines 250 SETs then 250 GETs of keys drawn from a power-law
   distribution over N keys (most accesses go to few keys), and prints one line
   per second with the share of GETs that found their key. maxmemory is the
   memory a fresh Redis uses once it holds N/2 of those keys, so about half the
   key space fits and the policy decides which half. For each policy (allkeys-lru
   with maxmemory-samples 5 and 10, allkeys-lfu, allkeys-random) the script takes
   the steady hit ratio (median of the last seconds) of each server, prints them
   side by side, and draws every per-second series into one SVG chart.
2. SET throughput while evicting. `redis-benchmark -t set -r <keys> -d <size>`
   against a maxmemory far below the data written, so most SETs have to evict a
   key first; requests per second per side and their ratio, as side_by_side.py
   reports them.

A benchmark reports; it does not assert. The exit status is non-zero only when
something failed to run. Python 3.11 standard library only; reuses the server,
RESP client and build conventions of side_by_side.py. See benches/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pty
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import side_by_side as sbs  # noqa: E402  (the sibling script, imported as a module)
from side_by_side import BenchError, Resp, Server, log  # noqa: E402


@dataclass(frozen=True)
class Policy:
    """One eviction configuration under test."""

    name: str  # maxmemory-policy
    samples: int  # maxmemory-samples

    @property
    def id(self) -> str:
        """Stable identifier, e.g. allkeys-lru-s5."""
        return f"{self.name}-s{self.samples}"


POLICIES = (Policy("allkeys-lru", 5), Policy("allkeys-lru", 10),
            Policy("allkeys-lfu", 5), Policy("allkeys-random", 5))
# One line of redis-cli --lru-test (redis-cli.c, LRUTestMode).
LRU_LINE = re.compile(rb"(\d+) Gets/sec \| Hits: (\d+) \([\d.]+%\) \| Misses: (\d+)")
# The LRU test's values are 5 random letters; its keys end in a newline
# ("lru:%lld\n" in LRUTestGenKey), which calibration copies so the sizes match.
LRU_VALUE = b"vvvvv"


def resp_command(*args: bytes) -> bytes:
    """One command in RESP, as redis-cli --pipe wants it."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------


def fresh(srv: Server) -> None:
    """Restart srv so every measurement starts from an empty, unfragmented server."""
    srv.stop()
    srv.start()


def configure(srv: Server, policy: str, samples: int, maxmemory: int) -> None:
    """Set the eviction policy, its sample count and the memory limit."""
    with Resp(srv.port) as c:
        c.call("CONFIG", "SET", "maxmemory-policy", policy)
        c.call("CONFIG", "SET", "maxmemory-samples", str(samples))
        c.call("CONFIG", "SET", "maxmemory", str(maxmemory))


def info_fields(srv: Server, section: str) -> dict[str, str]:
    """The `name:value` lines of one INFO section."""
    with Resp(srv.port) as c:
        text = c.call("INFO", section) or b""
    fields = {}
    for line in text.decode(errors="replace").splitlines():
        k, sep, v = line.partition(":")
        if sep:
            fields[k] = v.strip()
    return fields


def server_state(srv: Server) -> dict[str, int | None]:
    """Keys held, keys evicted and used_memory right now."""
    with Resp(srv.port) as c:
        keys = c.call("DBSIZE")
    stats, memory = info_fields(srv, "stats"), info_fields(srv, "memory")

    def num(d: dict[str, str], k: str) -> int | None:
        return int(d[k]) if d.get(k, "").isdigit() else None

    return {"keys": keys, "evicted_keys": num(stats, "evicted_keys"),
            "used_memory": num(memory, "used_memory")}


def calibrate(srv: Server, keys: int, workdir: Path, timeout: float) -> int:
    """used_memory of a fresh srv holding the first `keys` LRU-test keys."""
    payload = workdir / "lru-half.resp"
    with open(payload, "wb") as f:
        for start in range(1, keys + 1, 10_000):
            f.write(b"".join(resp_command(b"SET", b"lru:%d\n" % i, LRU_VALUE)
                             for i in range(start, min(start + 10_000, keys + 1))))
    fresh(srv)
    sbs.load_keys(srv, "pipe", keys, payload, timeout)
    used = server_state(srv)["used_memory"]
    if not used:
        raise BenchError(f"{srv.side} reports no used_memory")
    return used


def prefill_payload(workdir: Path, keys: int) -> Path:
    """SETs of all `keys` LRU-test keys in a shuffled (fixed-seed) order."""
    order = list(range(1, keys + 1))
    random.Random(7).shuffle(order)
    payload = workdir / "lru-all.resp"
    with open(payload, "wb") as f:
        for start in range(0, keys, 10_000):
            f.write(b"".join(resp_command(b"SET", b"lru:%d\n" % i, LRU_VALUE)
                             for i in order[start:start + 10_000]))
    return payload


def prefill(srv: Server, payload: Path, keys: int, timeout: float) -> None:
    """Feed the prefill payload through redis-cli --pipe; the server evicts as it goes."""
    with open(payload, "rb") as stdin:
        try:
            res = subprocess.run(
                ["redis-cli", "-h", "127.0.0.1", "-p", str(srv.port), "--pipe"],
                stdin=stdin, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"prefill of {srv.side} timed out") from None
    out = res.stdout.decode(errors="replace")
    if res.returncode != 0 or f"errors: 0, replies: {keys}" not in out:
        raise BenchError(f"prefill of {srv.side} failed (exit {res.returncode}): "
                         f"{out.strip()[-400:]}")


# --------------------------------------------------------------------------
# Hit ratio: redis-cli --lru-test
# --------------------------------------------------------------------------


def lru_test(srv: Server, keys: int, seconds: float) -> tuple[list[dict], list[str]]:
    """Run redis-cli --lru-test for `seconds`; its per-second lines and any errors it printed."""
    srv.check_alive()
    # redis-cli prints with stdio, which buffers a pipe until exit and loses the
    # buffer when killed; a pseudo-terminal makes it flush every line.
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(srv.port), "--lru-test", str(keys)],
            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, start_new_session=True)
    finally:
        os.close(slave)
    t0 = time.monotonic()
    samples, errors, pending = [], [], b""
    try:
        while (left := t0 + seconds - time.monotonic()) > 0:
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side closed (redis-cli exited)
                chunk = b""
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                line = line.strip()
                m = LRU_LINE.search(line)
                if m:
                    hits, misses = int(m.group(2)), int(m.group(3))
                    samples.append({"t": time.monotonic() - t0, "gets": int(m.group(1)),
                                    "hits": hits, "misses": misses,
                                    "ratio": hits / (hits + misses) if hits + misses else 0.0})
                elif line and len(errors) < 20:
                    errors.append(line.decode(errors="replace"))
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(sbs.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(sbs.STOP_TIMEOUT)
        os.close(master)
    if proc.returncode not in (0, -signal.SIGTERM) and not samples:
        errors.append(f"redis-cli exited with {proc.returncode}")
    return samples, errors


def steady(samples: list[dict], last: int) -> float | None:
    """The steady hit ratio: the median of the last `last` per-second ratios."""
    tail = [s["ratio"] for s in samples[-last:]]
    return statistics.median(tail) if tail else None


def hit_ratios(servers: dict[str, Server], args, workdir: Path) -> tuple[dict, list]:
    """Calibrate maxmemory on Redis, then run the LRU test per policy on each side."""
    errors: list[str] = []
    half = args.keys // 2
    # By default both sides get Redis's figure, so a server that stores keys in
    # less memory holds more of them; --calibrate-each compares the algorithms
    # alone, each server holding about N/2 keys.
    limits = {}
    for side in (servers if args.calibrate_each else ["redis"]):
        log(f"calibrating: used_memory of a fresh {side} holding {half:,} LRU-test keys")
        limits[side] = calibrate(servers[side], half, workdir, args.timeout)
        log(f"  maxmemory {limits[side]:,} bytes")
    maxmemory = {side: limits.get(side, limits["redis"]) for side in servers}
    results = {"keys": args.keys, "maxmemory": maxmemory["redis"],
               "maxmemory_by_side": maxmemory, "calibrate_each": args.calibrate_each,
               "seconds": args.seconds, "steady_seconds": args.steady, "policies": []}
    # Without a prefill, filling half the key space takes the LRU test itself
    # 10 s on an idle machine and over a minute on a busy one; starting from a
    # full server (a random half of the keys) makes every second count.
    payload = None if args.no_prefill else prefill_payload(workdir, args.keys)
    results["prefill"] = payload is not None
    sides = list(servers)
    for i, policy in enumerate(args.policies):
        entry = {"policy": policy.name, "samples": policy.samples, "id": policy.id}
        order = sides if i % 2 == 0 else sides[::-1]
        for side in order:
            srv = servers[side]
            try:
                fresh(srv)
                configure(srv, policy.name, policy.samples, maxmemory[side])
                if payload:
                    prefill(srv, payload, args.keys, args.timeout)
                start = server_state(srv)
                series, errs = lru_test(srv, args.keys, args.seconds)
                state = server_state(srv)
                state["evicted_in_test"] = (state["evicted_keys"] or 0) - \
                    (start["evicted_keys"] or 0)
            except (BenchError, OSError) as e:
                errors.append(f"lru-test {policy.id} on {side}: {e}")
                log(f"  ERROR lru-test {policy.id} on {side}: {e}")
                entry[side] = None
                continue
            errors += [f"lru-test {policy.id} on {side} printed: {e}" for e in errs[:3]]
            ratio = steady(series, args.steady)
            entry[side] = {"series": series, "steady_ratio": ratio, "start": start,
                           "end": state,
                           "gets_per_sec": statistics.median([s["gets"] for s in series])
                           if series else None}
            log(f"  {policy.id:18} {side:8} steady hit ratio "
                f"{fmt_pct(ratio)} over {len(series)} s, holding {state['keys']:,} keys, "
                f"evicted {state['evicted_in_test']:,} during the test")
        a = (entry.get("redis") or {}).get("steady_ratio")
        b = (entry.get("redrill") or {}).get("steady_ratio")
        entry["ratio"] = b / a if a and b is not None else None
        results["policies"].append(entry)
    return results, errors


# --------------------------------------------------------------------------
# SET throughput while evicting: redis-benchmark
# --------------------------------------------------------------------------


def set_throughput(servers: dict[str, Server], args) -> tuple[list, list]:
    """redis-benchmark SETs under a small maxmemory, per policy, runs alternating sides."""
    errors: list[str] = []
    test = sbs.BenchTest("set", args.pipeline, args.datasize)
    results = []
    sides = list(servers)
    for policy in args.set_policies:
        entry = {"policy": policy.name, "samples": policy.samples, "id": policy.id,
                 "maxmemory": args.set_maxmemory, "requests": args.requests,
                 "datasize": args.datasize, "pipeline": args.pipeline}
        runs: dict[str, dict[int, float]] = {side: {} for side in sides}
        evicted: dict[str, list[float]] = {side: [] for side in sides}
        for run in range(args.runs):
            for side in (sides if run % 2 == 0 else sides[::-1]):
                srv = servers[side]
                try:
                    fresh(srv)
                    configure(srv, policy.name, policy.samples, args.set_maxmemory)
                    rows = benchmark_set(srv, test, args)
                    state = server_state(srv)
                except (BenchError, OSError) as e:
                    errors.append(f"SET {policy.id} on {side}: {e}")
                    log(f"  ERROR SET {policy.id} on {side}: {e}")
                    continue
                runs[side][run] = rows
                share = (state["evicted_keys"] or 0) / args.requests
                evicted[side].append(share)
                log(f"  run {run + 1}/{args.runs} SET {policy.id:18} {side:8} {rows:.0f} rps, "
                    f"{share:.0%} of SETs evicted a key, holding {state['keys']:,} keys")
        for side in sides:
            vals = list(runs[side].values())
            entry[side] = None if not vals else {
                "median_rps": statistics.median(vals), "runs_rps": vals,
                "spread": sbs.spread(vals), "evicted_share": statistics.median(evicted[side])}
        paired = [runs["redrill"][r] / runs["redis"][r] for r in sorted(runs.get("redis", {}))
                  if r in runs.get("redrill", {}) and runs["redis"][r]]
        entry["run_ratios"] = paired
        entry["ratio"] = statistics.median(paired) if paired else None
        entry["ratio_spread"] = sbs.spread(paired) if paired else None
        results.append(entry)
    return results, errors


def benchmark_set(srv: Server, test: sbs.BenchTest, args) -> float:
    """One redis-benchmark -t set run with random keys; its requests per second."""
    srv.check_alive()
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-q", "--csv",
           "-t", "set", "-n", str(args.requests), "-c", str(args.clients),
           "-P", str(test.pipeline), "-r", str(args.key_range), "-d", str(test.datasize)]
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=args.timeout,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BenchError(f"redis-benchmark SET on {srv.side} timed out") from None
    out = res.stdout.decode(errors="replace")
    # An -OOM reply does not stop redis-benchmark; it prints the error instead.
    if "OOM" in out or "OOM" in res.stderr.decode(errors="replace"):
        raise BenchError(f"{srv.side} refused SETs with -OOM instead of evicting")
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) >= 2 and cells[0] == "SET":
            try:
                return float(cells[1])
            except ValueError:
                break
    raise BenchError(f"redis-benchmark SET on {srv.side} failed (exit {res.returncode}): "
                     f"{(res.stderr.decode(errors='replace') or out).strip()[-400:]}")


# --------------------------------------------------------------------------
# The chart: hand-written SVG, one polyline per (server, policy)
# --------------------------------------------------------------------------

COLORS = {"allkeys-lru-s5": "#1f77b4", "allkeys-lru-s10": "#2ca02c",
          "allkeys-lfu-s5": "#d62728", "allkeys-random-s5": "#9467bd"}
DASH = {"redis": "", "redrill": "7,4"}
WIDTH, PANEL_H, MARGIN_L, MARGIN_R, MARGIN_T = 900, 300, 60, 230, 50


def svg_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_step(span: float, target: int) -> float:
    """A 1, 2 or 5 times a power of ten step giving about `target` ticks over span."""
    raw = span / max(target, 1)
    power = 10 ** int(f"{raw:e}".split("e")[1])
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def panel(top: float, title: str, lines: list[dict], x_max: float,
          y_lo: float, y_hi: float) -> list[str]:
    """One chart panel: frame, grid, ticks and the series clipped to [y_lo, y_hi]."""
    plot_w = WIDTH - MARGIN_L - MARGIN_R
    h = PANEL_H - 40

    def px(t: float) -> float:
        return MARGIN_L + t / x_max * plot_w

    def py(r: float) -> float:
        r = min(max(r, y_lo), y_hi)
        return top + h - (r - y_lo) / (y_hi - y_lo) * h

    out = [f'<text x="{MARGIN_L}" y="{top - 8}" font-size="13">{svg_escape(title)}</text>',
           f'<rect x="{MARGIN_L}" y="{top}" width="{plot_w}" height="{h}" fill="none" '
           f'stroke="#999"/>']
    step = nice_step(y_hi - y_lo, 6)
    first = -int(-y_lo / step - 1e-9)  # ceil, so no tick falls below the frame
    for k in range(first, int(y_hi / step + 1e-9) + 1):
        y = k * step
        out.append(f'<line x1="{MARGIN_L}" x2="{MARGIN_L + plot_w}" y1="{py(y):.1f}" '
                   f'y2="{py(y):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{MARGIN_L - 6}" y="{py(y) + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{y * 100:g}%</text>')
    step = nice_step(x_max, 10)
    for k in range(int(x_max / step + 1e-9) + 1):
        x = k * step
        out.append(f'<text x="{px(x):.1f}" y="{top + h + 15}" font-size="11" '
                   f'text-anchor="middle">{x:g}</text>')
    out.append(f'<text x="{MARGIN_L + plot_w / 2}" y="{top + h + 32}" font-size="11" '
               f'text-anchor="middle">seconds since the LRU test started</text>')
    for line in lines:
        points = " ".join(f"{px(s['t']):.1f},{py(s['ratio']):.1f}" for s in line["series"])
        dash = f' stroke-dasharray="{line["dash"]}"' if line["dash"] else ""
        out.append(f'<polyline points="{points}" fill="none" stroke="{line["color"]}" '
                   f'stroke-width="1.6"{dash}/>')
    return out


def write_svg(path: Path, hits: dict) -> None:
    """Both panels (whole run, then a zoom on the steady range) and a legend."""
    lines = []
    for entry in hits["policies"]:
        for side in ("redis", "redrill"):
            data = entry.get(side)
            if data and data["series"]:
                lines.append({"label": f"{side} {entry['policy']} samples {entry['samples']}",
                              "series": data["series"], "color": COLORS.get(entry["id"], "#555"),
                              "dash": DASH[side], "steady": data["steady_ratio"]})
    x_max = max([s["t"] for l in lines for s in l["series"]] + [1.0])
    # The zoom starts a little below the worst steady ratio, so the differences
    # between policies (a few percent near the top) are visible.
    steadies = [l["steady"] for l in lines if l["steady"] is not None] or [0.9]
    y_lo = max(0.0, min(int(min(steadies) * 100 - 2) / 100, 0.98))
    height = MARGIN_T + 2 * PANEL_H + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="sans-serif">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="{MARGIN_L}" y="22" font-size="15" font-weight="bold">redis-cli '
           f'--lru-test {hits["keys"]:,}: hit ratio per second</text>',
           f'<text x="{MARGIN_L}" y="40" font-size="12">'
           f'{maxmemory_text(hits)} (about half the keys)</text>']
    out += panel(MARGIN_T + 20, "whole run", lines, x_max, 0.0, 1.0)
    out += panel(MARGIN_T + PANEL_H + 20, f"zoom: {y_lo * 100:g}% to 100%", lines,
                 x_max, y_lo, 1.0)
    lx = WIDTH - MARGIN_R + 15
    for i, line in enumerate(lines):
        y = MARGIN_T + 30 + i * 20
        dash = f' stroke-dasharray="{line["dash"]}"' if line["dash"] else ""
        out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{y}" y2="{y}" stroke="{line["color"]}" '
                   f'stroke-width="2"{dash}/>')
        out.append(f'<text x="{lx + 36}" y="{y + 4}" font-size="11">'
                   f'{svg_escape(line["label"])}</text>')
    out.append(f'<text x="{lx}" y="{MARGIN_T + 40 + len(lines) * 20}" font-size="10" '
               f'fill="#555">solid: redis, dashed: redrill</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def maxmemory_text(hits: dict) -> str:
    """The limit(s) the hit-ratio runs used."""
    by_side = hits["maxmemory_by_side"]
    if len(set(by_side.values())) == 1:
        return f"maxmemory {hits['maxmemory']:,} bytes"
    return "maxmemory " + ", ".join(f"{s} {v:,}" for s, v in by_side.items()) + " bytes"


def fmt_pct(r: float | None) -> str:
    return "-" if r is None else f"{r * 100:.2f}%"


def report(hits: dict | None, sets: list) -> str:
    """The human-readable tables."""
    lines = []
    if hits:
        lines.append(f"hit ratio, redis-cli --lru-test {hits['keys']:,}, "
                     f"{maxmemory_text(hits)}, steady = median of the last "
                     f"{hits['steady_seconds']} of {hits['seconds']:g} seconds")
        lines.append(f"{'policy':<24} {'redis':>8} {'redrill':>8} {'redrill/redis':>14} "
                     f"{'keys held redis':>16} {'redrill':>9}")
        for e in hits["policies"]:
            r, d = e.get("redis") or {}, e.get("redrill") or {}
            lines.append(
                f"{e['policy'] + ' samples ' + str(e['samples']):<24} "
                f"{fmt_pct(r.get('steady_ratio')):>8} {fmt_pct(d.get('steady_ratio')):>8} "
                f"{sbs.fmt_ratio(e['ratio']):>14} "
                f"{(r.get('end') or {}).get('keys') or 0:>16,} "
                f"{(d.get('end') or {}).get('keys') or 0:>9,}")
    if sets:
        e0 = sets[0]
        lines.append(f"SET throughput while evicting: redis-benchmark -t set -n "
                     f"{e0['requests']:,} -r <key range> -d {e0['datasize']} -P "
                     f"{e0['pipeline']}, maxmemory {e0['maxmemory']:,} bytes")
        lines.append(f"{'policy':<24} {'redis rps':>18} {'redrill rps':>18} "
                     f"{'redrill/redis':>16} {'evicting SETs':>14}")
        for e in sets:
            ratio = sbs.fmt_ratio(e["ratio"])
            if e["ratio_spread"] is not None:
                ratio += f" (±{e['ratio_spread'] * 100:.0f}%)"
            share = "/".join(f"{(e.get(s) or {}).get('evicted_share', 0):.0%}"
                             for s in ("redis", "redrill"))
            lines.append(f"{e['policy'] + ' samples ' + str(e['samples']):<24} "
                         f"{sbs.fmt_rps(e.get('redis')):>18} "
                         f"{sbs.fmt_rps(e.get('redrill')):>18} {ratio:>16} {share:>14}")
        lines.append("(rps: median over runs; ratio: median of the per-run ratios; "
                     "evicting SETs: evicted_keys / requests, redis/redrill)")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def parse_policies(spec: str | None) -> list[Policy]:
    """A comma list of policy ids (allkeys-lru-s5) or names (all samples of that policy)."""
    if not spec:
        return list(POLICIES)
    tokens = {t.strip() for t in spec.split(",") if t.strip()}
    chosen = [p for p in POLICIES if tokens & {p.id, p.name}]
    unknown = tokens - {p.id for p in POLICIES} - {p.name for p in POLICIES}
    if unknown or not chosen:
        raise SystemExit(f"--policies: unknown {', '.join(sorted(unknown)) or spec}; known: "
                         f"{', '.join(p.id for p in POLICIES)}")
    return chosen


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Eviction benchmarks: redrill-server against redis-server side by side.")
    p.add_argument("--redrill", default=sbs.DEFAULT_REDRILL,
                   help="redrill-server binary (relative paths are from the repo root)")
    p.add_argument("--redis", default=sbs.DEFAULT_REDIS, help="redis-server binary")
    p.add_argument("--build", action="store_true",
                   help="cargo build --release -p redrill-server if --redrill is missing")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 200,000 keys for 20 s, 200,000 SETs, one run")
    p.add_argument("--only", choices=("hits", "set", "both"), default="both",
                   help="run only the hit-ratio part or only the SET throughput part")
    p.add_argument("--policies", help="comma list of policy ids or names (default all: "
                   + ", ".join(p.id for p in POLICIES) + ")")
    p.add_argument("--keys", type=int, help="--lru-test key space N (default 1000000)")
    p.add_argument("--seconds", type=float, help="length of each LRU test (default 60)")
    p.add_argument("--steady", type=int,
                   help="seconds at the end whose median is the steady ratio (default 20)")
    p.add_argument("--no-prefill", action="store_true",
                   help="start each LRU test on an empty server instead of one filled "
                   "with all N keys (in a shuffled order) under the limit")
    p.add_argument("--calibrate-each", action="store_true",
                   help="give each server its own maxmemory holding N/2 keys (compares "
                   "the eviction algorithms alone; default: Redis's figure for both)")
    p.add_argument("--requests", type=int, help="SETs per benchmark run (default 1000000)")
    p.add_argument("--runs", type=int, help="SET benchmark runs per side (default 3)")
    p.add_argument("--set-maxmemory", type=int,
                   help="maxmemory in bytes for the SET test (default 8 MiB)")
    p.add_argument("--key-range", type=int, default=1_000_000,
                   help="redis-benchmark -r for the SET test (default 1000000)")
    p.add_argument("-d", dest="datasize", type=int, default=100,
                   help="SET value size in bytes (default 100)")
    p.add_argument("-P", dest="pipeline", type=int, default=1,
                   help="SET pipeline depth (default 1)")
    p.add_argument("-c", dest="clients", type=int, default=50, help="clients (default 50)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds allowed for any one benchmark or load (default 300)")
    p.add_argument("--json", help="also write the results as JSON to this path")
    p.add_argument("--svg", default="eviction-hit-ratio.svg",
                   help="where to draw the hit-ratio chart (default eviction-hit-ratio.svg)")
    a = p.parse_args(argv)
    a.keys = a.keys or (200_000 if a.quick else 1_000_000)
    a.seconds = a.seconds or (20.0 if a.quick else 60.0)
    a.steady = a.steady or (5 if a.quick else 20)
    a.requests = a.requests or (200_000 if a.quick else 1_000_000)
    a.runs = a.runs or (1 if a.quick else 3)
    a.set_maxmemory = a.set_maxmemory or ((4 if a.quick else 8) << 20)
    if min(a.keys, a.steady, a.requests, a.runs, a.set_maxmemory, a.key_range,
           a.datasize, a.pipeline, a.clients) < 1 or a.seconds <= 0 or a.keys < 2:
        p.error("counts, sizes and durations must be positive")
    a.policies = a.set_policies = parse_policies(a.policies)
    return a


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, sbs.on_signal)
    signal.signal(signal.SIGHUP, sbs.on_signal)
    servers: dict[str, Server] = {}
    errors: list[str] = []
    hits, sets, version = None, [], None
    loads = [sbs.load_average() or 0.0]
    with tempfile.TemporaryDirectory(prefix="redrill-evict-") as tmp:
        workdir = Path(tmp)
        try:
            version = sbs.check_tools(args.redis)
            binaries = {"redis": args.redis, "redrill": sbs.resolve_redrill(args)}
            for side, binary in binaries.items():
                servers[side] = Server(side, binary, workdir)
                servers[side].start()
                log(f"{side}: {binary} on port {servers[side].port}")
            t0 = time.monotonic()
            if args.only in ("hits", "both"):
                hits, errs = hit_ratios(servers, args, workdir)
                errors += errs
            if args.only in ("set", "both"):
                sets, errs = set_throughput(servers, args)
                errors += errs
            loads.append(sbs.load_average() or 0.0)
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
    text = report(hits, sets)
    if text:
        print(text)
    if hits and any(e.get(s) for e in hits["policies"] for s in ("redis", "redrill")):
        write_svg(Path(args.svg), hits)
        print(f"chart: {args.svg}")
    cpus = os.cpu_count() or 1
    sbs.print_footer(loads, errors, "figures")
    if args.json:
        doc = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "redis_server": args.redis, "redis_version": version,
            "redrill_server": servers["redrill"].binary if "redrill" in servers else None,
            "cpus": cpus, "load_averages": loads, "hit_ratio": hits,
            "set_throughput": sets, "errors": errors,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
