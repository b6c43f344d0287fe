"""Operations, for every API: latency and call counts (informational), and the suite's own concurrency limit."""

from __future__ import annotations

import statistics

import pytest

from conformance.messages import Message
from conformance.outcomes import CheckNotRun, expect, skip
from conformance.settings import MAX_CONCURRENCY


@pytest.mark.sbs_last
@pytest.mark.requirement("*-OPS-01")
def test_latency_per_operation(evidence, sbs_profile, check):
    own = {op: v for op, v in evidence.latencies.items() if op == "token" or op.startswith(f"{sbs_profile} ")}
    if not any(v for op, v in own.items() if op != "token"):
        skip("api.ops.no_responses")
    evidence.rely_on(range(1, evidence.last_seq + 1), show=False)  # it judges every call of the run
    for op, values in sorted(own.items()):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        check.step("api.ops.latency", operation=op, calls=len(ordered), p50=round(statistics.median(ordered)),
                   p95=round(p95))


@pytest.mark.sbs_last
@pytest.mark.requirement("*-OPS-02")
def test_suite_stays_within_concurrency_limit(evidence, sbs_profile, check):
    if not evidence.by_kind.get("api"):
        raise CheckNotRun(Message("api.ops.no_api_calls"))
    evidence.rely_on(range(1, evidence.last_seq + 1), show=False)
    check.step("api.ops.in_flight", peak=evidence.max_in_flight)
    expect(evidence.max_in_flight <= MAX_CONCURRENCY, "api.ops.too_many", peak=evidence.max_in_flight,
           limit=MAX_CONCURRENCY)
