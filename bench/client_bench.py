"""Client-check benchmark: the mock serving `first-sync` (5 003 trekkpålegg) to the reference client with
maksAntall=1, in API calls per second, against the same stack (Starlette + uvicorn, httpx client) serving a
static JSON response as the ceiling; and the mock's memory with 100 000 trekkpålegg.

Target (issue 5): >= 2 000 API calls/s on a 2-core machine; memory flat with 100 000 trekkpålegg.

    python bench/client_bench.py
"""

from __future__ import annotations

import os
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
from conformance.clientcheck.scenarios import SCENARIOS
from conformance.mock.server import serve
from conformance.mock.state import MockState
from conformance.mock.store import GeneratedStore

CEILING_CLIENT = """
import sys, time, httpx
n, url = int(sys.argv[1]), sys.argv[2]
with httpx.Client() as c:
    start = time.perf_counter()
    for i in range(n):
        c.get(url, params={"fraSekvensnummer": i, "maksAntall": 1}).read()
    print(time.perf_counter() - start)
"""


class _StaticServer:
    """The same stack with one static JSON answer, served like the mock."""

    def __init__(self, body: bytes) -> None:
        async def static(request):
            return Response(body, media_type="application/json")

        self.app = Starlette(routes=[Route("/api/trekkpaalegg/v1", static)])


def reference_sync_rate() -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp, scenario_mock(SCENARIOS["first-sync"], Path(tmp)) as (state, _, env):
        env = {**os.environ, **env, "SBS_STATE_FILE": str(Path(tmp) / "state.json"), "SBS_PAGE_SIZE": "1"}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "conformance.clientcheck.reference"], env=env, check=True,
                       capture_output=True)
        elapsed = time.perf_counter() - start
        calls = sum(1 for t in state.traffic or [] if t.get("kind") == "api")
    return calls, elapsed


def ceiling_rate(calls: int) -> float:
    import uvicorn  # noqa: F401  (the same server as the mock)

    item = GeneratedStore("310702641", 1).latest()
    import json

    static = _StaticServer(json.dumps(item).encode())
    state = MockState()
    from conformance.mock import server as mock_server

    original = mock_server.create_app
    mock_server.create_app = lambda _state: static.app
    try:
        with serve(state) as running:
            out = subprocess.run([sys.executable, "-c", CEILING_CLIENT, str(calls),
                                  running.base_url + "/api/trekkpaalegg/v1"], check=True, capture_output=True,
                                 text=True)
    finally:
        mock_server.create_app = original
    return calls / float(out.stdout.strip())


def memory_with(n: int) -> float:
    tracemalloc.start()
    store = GeneratedStore("314961900", n)
    for fra in range(0, store.next_seq, max(1, store.next_seq // 50)):
        store.latest(fra, 1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> int:
    calls, elapsed = reference_sync_rate()
    rate = calls / elapsed
    ceiling = ceiling_rate(calls)
    print(f"first-sync, maksAntall=1: {calls} API calls in {elapsed:.1f} s = {rate:.0f} calls/s (target >= 2000); "
          f"static JSON on the same stack: {ceiling:.0f} calls/s; mock/ceiling = {rate / ceiling:.2f}")
    small, large = memory_with(10_000), memory_with(100_000)
    print(f"mock store memory: 10 000 trekkpålegg {small:.1f} MB, 100 000 {large:.1f} MB "
          f"({large / small:.1f}x for 10x the data; items are built on demand)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
