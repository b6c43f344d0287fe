"""Operations: latency and call counts (informational), and the suite's own concurrency limit."""

from __future__ import annotations

import statistics

import pytest

from conformance.settings import MAX_CONCURRENCY


def _operation(url: str) -> str:
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
    if path.endswith("token"):
        return "token"
    return "list" if path.rstrip("/").endswith("trekkpaalegg/v1") else "version/other"


@pytest.mark.sbs_last
@pytest.mark.requirement("TP-OPS-01")
def test_latency_per_operation(evidence, check):
    by_op: dict[str, list[float]] = {}
    for e in evidence.exchanges:
        if e.status is not None:
            by_op.setdefault(_operation(e.url), []).append(e.elapsed_ms)
    if not by_op:
        pytest.skip("no responses to measure (the target did not answer)")
    for op, values in sorted(by_op.items()):
        values.sort()
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        check.step(f"{op}: {len(values)} calls, p50 {statistics.median(values):.0f} ms, p95 {p95:.0f} ms")


@pytest.mark.sbs_last
@pytest.mark.requirement("TP-OPS-02")
def test_suite_stays_within_concurrency_limit(evidence, check):
    check.step(f"at most {evidence.max_in_flight} calls were in flight at once")
    assert evidence.max_in_flight <= MAX_CONCURRENCY, (
        f"the suite had {evidence.max_in_flight} calls in flight at once; the limit is {MAX_CONCURRENCY}")
