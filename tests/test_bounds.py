"""Bounded runs: a deadline per call and per run, a circuit breaker, a size limit per body, paging that ends,
and evidence that does not stay in memory. Every bound is shown by what the run reports, never by timing."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import httpx
import pytest
from servers import drip, key_file, raw_server, silent, target_args

from conformance.apiclient import UnexpectedBody
from conformance.errors import BodyTooLarge, RunDeadlineReached, TargetUnreachable
from conformance.evidence import Evidence
from conformance.http import CallLimits, bounded_client, send
from conformance.profiles.trekkpaalegg.client import TrekkpaaleggClient
from conftest import run_cli


def test_a_dripping_server_is_cut_off_at_the_call_deadline():
    """Each read gets a byte in time, so a per-read timeout would never fire: the call's deadline does."""
    with raw_server(drip(interval=0.05)) as server, bounded_client(timeout=1) as client, \
            pytest.raises(TargetUnreachable) as info:
        send(client, client.build_request("GET", server.url + "/x"), limits=CallLimits(timeout=0.5))
    assert "timeout" in info.value.cause and "deadline (--timeout 0.5 s) passed" in info.value.cause


def test_the_run_deadline_ends_a_call_and_is_not_retried():
    limits = CallLimits(timeout=30, run_deadline=__import__("time").monotonic() + 0.5)
    with raw_server(silent) as server, bounded_client() as client:
        with pytest.raises(RunDeadlineReached):
            send(client, client.build_request("GET", server.url + "/x"), limits=limits,
                 policy=__import__("conformance.http", fromlist=["RetryPolicy"]).RetryPolicy(attempts=5))
        assert len(server.requests) == 1  # not retried


def test_a_silent_target_trips_the_breaker_and_every_check_ends_with_the_same_cause(tmp_path):
    with raw_server(silent) as server:
        code, results, output = run_cli("run", *target_args(server.url, key_file(tmp_path)), "--timeout", "1",
                                        "--retries", "2", "--lang", "en", "--no-pdf", "--out", str(tmp_path / "o"))
        attempts = len(server.requests)
    assert code == 3, output
    assert results["verdict"] == "error" and "timeout" in results["error"]["message"]
    assert attempts == 2  # the first check tried twice; after that nothing was sent to the dead host
    errors = [c for c in results["checks"] if c["status"] == "error"]
    assert len(errors) >= 20 and all("timeout" in c["message"] for c in errors)


def test_the_breaker_answers_for_a_host_that_did_not_answer():
    limits = CallLimits(timeout=0.5)
    with raw_server(silent) as server, bounded_client() as client:
        with pytest.raises(TargetUnreachable):
            send(client, client.build_request("GET", server.url + "/a"), limits=limits)
        with pytest.raises(TargetUnreachable) as again:
            send(client, client.build_request("GET", server.url + "/b"), limits=limits)
        assert len(server.requests) == 1  # the second call was not sent
    assert "not tried again" in again.value.message.render("en") and "timeout" in again.value.cause


def test_the_run_deadline_marks_the_rest_not_run_and_writes_the_report(tmp_path):
    """A vendor's check that calls the API until it is stopped: the deadline ends it, on a machine of any speed."""
    busy = Path(__file__).parent / "interrupt_example" / "test_busy_check.py"
    code, results, output = run_cli("run", "--deadline", "2", "--no-pdf", "--lang", "en", "--out",
                                    str(tmp_path / "o"), "--", str(busy))
    assert code == 5, output  # nothing failed, but required requirements were not run: incomplete
    assert results["verdict"] == "incomplete" and results["interruption"]["kind"] == "deadline"
    late = [c for c in results["checks"] if c["status"] == "not_run"]
    assert late and all("deadline" in c["message"] for c in late)
    assert "ACME-BUSY" in results["interruption"]["not_run"]  # cut off by the deadline, not passed
    assert (tmp_path / "o" / "report.html").is_file() and "deadline" in output


def test_an_answer_over_max_body_ends_the_call_with_a_clear_cause(tmp_path):
    big = b"[" + b",".join(b'{"x": "%d"}' % i for i in range(20_000)) + b"]"
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=big)))
    with pytest.raises(BodyTooLarge) as info:
        send(client, client.build_request("GET", "https://api.example/big"), limits=CallLimits(max_body=10_000))
    assert "larger than --max-body 10,000 bytes" in info.value.cause and "/big" in info.value.cause
    code, results, output = run_cli("run", "--max-body", "2K", "--no-pdf", "--lang", "en",
                                    "--out", str(tmp_path / "o"))
    assert code == 3, output
    assert "larger than --max-body" in results["error"]["message"]


def test_paging_that_never_ends_is_stopped_at_the_list_length():
    """A server that always answers a full page: the loop rule alone would page for ever."""
    page = [0]

    def full_page(request):
        page[0] += 1
        maks = int(request.url.params["maksAntall"])
        start = int(request.url.params["fraSekvensnummer"])
        return httpx.Response(200, json=[{"trekkid": str(start + i), "trekkversjon": 1, "sekvensnummer": start + i + 1}
                                         for i in range(maks)])

    client = TrekkpaaleggClient("https://api.example", None,
                                http=httpx.Client(transport=httpx.MockTransport(full_page)))
    with pytest.raises(UnexpectedBody, match="does not end"):
        list(client.iter_sider(10, expected_items=95))
    assert page[0] == 95 // 10 + 1


def test_evidence_goes_to_disk_as_it_is_recorded():
    """Recording 60 MB of answers keeps only summaries in memory; the whole exchanges come back from disk."""
    body = b'{"notat": "' + b"x" * 199_000 + b'"}'
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)))
    evidence = Evidence()
    tracemalloc.start()
    try:
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(300):
            send(client, client.build_request("GET", "https://api.example/x"), evidence)
        gc.collect()  # what is still held, not answers that wait in reference cycles for the collector
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 5_000_000  # 300 answers of 200 KB each: 60 MB would be held without the spool
    entries = list(evidence.iter_exchanges())
    assert len(entries) == 300 and len(entries[-1].response_body) > 190_000
    evidence.close()
