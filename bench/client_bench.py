"""Client-check benchmark: the mock serving `first-sync` (5 003 trekkpålegg) to the reference client with
maksAntall=1, in API calls per second, against the ceiling of the same stack: the same client code
(KeepAliveTrekkpaaleggClient) asking a server of the same kind (uvicorn + Starlette, started by the same
`serve`) that answers every call with one static JSON page. And the mock's memory with 100 000 trekkpålegg.

Target (issue 5): >= 2 000 API calls/s on a 2-core machine; memory flat with 100 000 trekkpålegg.

The rate is taken between the first API call's arrival and the last one's answer, as the mock recorded
them (the process start and the token request are not API calls); the whole run, start to exit, is printed
too. Runs alternate mock and ceiling, ROUNDS times, and the medians are compared, because a shared virtual
machine's speed drifts by tens of percent from one minute to the next; each round also prints the share of
CPU time the hypervisor took for other guests ("steal"), which explains most of that drift.

    python bench/client_bench.py [ROUNDS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from conformance.clientcheck.runner import scenario_mock
from conformance.mock.server import serve
from conformance.mock.state import MockState
from conformance.profiles.trekkpaalegg import LIST_PATH as API_BASE_PATH
from conformance.profiles.trekkpaalegg.scenarios import SCENARIOS
from conformance.profiles.trekkpaalegg.store import GeneratedStore

CEILING_CLIENT = """
import sys, time
from conformance.profiles.trekkpaalegg.client import KeepAliveTrekkpaaleggClient
n, url = int(sys.argv[1]), sys.argv[2]
client = KeepAliveTrekkpaaleggClient(url, lambda: "static")
client.hent_side(0, 1)
start = time.perf_counter()
for i in range(n):
    client.hent_side(i, 1)
print(time.perf_counter() - start)
"""


def reference_sync() -> tuple[int, float, float]:
    """(API calls, seconds from the first call to the last answer, seconds for the whole run)."""
    with tempfile.TemporaryDirectory() as tmp, scenario_mock(SCENARIOS["first-sync"], Path(tmp)) as (state, _, env):
        env = {**os.environ, **env, "SBS_STATE_FILE": str(Path(tmp) / "state.json"), "SBS_PAGE_SIZE": "1"}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "conformance.clientcheck.reference"], env=env, check=True,
                       capture_output=True)
        whole = time.perf_counter() - start
        calls = [t for t in state.traffic or [] if t.get("kind") == "api"]
    return len(calls), calls[-1]["end"] - calls[0]["start"], whole


def ceiling_rate(calls: int) -> float:
    """Calls/s of the same client against the same stack answering one static page."""
    body = json.dumps(GeneratedStore("310702641", 1).latest()).encode()

    async def static(request):
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route(API_BASE_PATH, static)])
    with serve(MockState(), app=app) as running:
        out = subprocess.run([sys.executable, "-c", CEILING_CLIENT, str(calls), running.base_url], check=True,
                             capture_output=True, text=True)
    return calls / float(out.stdout.strip())


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (/proc/stat, Linux), or None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            return [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def stolen(before: list[int] | None, after: list[int] | None) -> str:
    """The share of CPU time the hypervisor gave to other guests meanwhile ("steal", the 8th counter)."""
    if before is None or after is None or len(before) < 8:
        return "n/a"
    delta = [b - a for a, b in zip(before, after, strict=False)]
    return f"{100 * delta[7] / max(1, sum(delta)):.0f} %"


def memory_with(n: int) -> float:
    tracemalloc.start()
    store = GeneratedStore("314961900", n)
    for fra in range(0, store.next_seq, max(1, store.next_seq // 50)):
        store.latest(fra, 1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rates, wholes, ceilings = [], [], []
    for r in range(1, rounds + 1):
        before = cpu_times()
        calls, span, whole = reference_sync()
        ceiling = ceiling_rate(calls)
        rates.append(calls / span)
        wholes.append(calls / whole)
        ceilings.append(ceiling)
        print(f"round {r}: mock {calls / span:.0f} calls/s ({calls} calls; whole run incl. start "
              f"{calls / whole:.0f}/s), ceiling {ceiling:.0f} calls/s; CPU stolen by the hypervisor "
              f"{stolen(before, cpu_times())}")
    rate, ceiling = statistics.median(rates), statistics.median(ceilings)
    print(f"first-sync, maksAntall=1, median of {rounds}: {rate:.0f} API calls/s (target >= 2000: "
          f"{'met' if rate >= 2000 else 'NOT met'}); whole run {statistics.median(wholes):.0f}/s; "
          f"static JSON on the same stack {ceiling:.0f} calls/s; mock/ceiling = {rate / ceiling:.2f}")
    small, large = memory_with(10_000), memory_with(100_000)
    print(f"mock store memory: 10 000 trekkpålegg {small:.1f} MB, 100 000 {large:.1f} MB "
          f"({large / small:.1f}x for 10x the data; items are built on demand)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
