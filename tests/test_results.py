"""The result model: aggregation, the verdict rule, JSON round trip, JUnit, HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conformance.assemble import aggregate
from conformance.catalogue import load_catalogue
from conformance.evidence import Evidence
from conformance.report.html import render_html
from conformance.results import CheckResult, RunResult, read_json, verdict, write_json, write_junit


def check(req, status, message=""):
    return CheckResult(f"suite/test_x.py::test_{req}", f"test_{req}", [req], status, message)


def run(checks, lang="nb", complete=True):
    """A result of ``checks``; ``complete`` adds a passed check for every requirement they leave out."""
    if complete:
        covered = {r for c in checks for r in c.requirements}
        checks = checks + [check(r, "passed") for r in load_catalogue().ids if r not in covered]
    reqs = aggregate(load_catalogue(), checks, lang, "mock")
    return RunResult("abc123", "2026-11-21T10:00:00+00:00", "2026-11-21T10:01:00+00:00", verdict(reqs), lang,
                     "0.1.0", {"kind": "mock", "base_url": "http://127.0.0.1:1", "org": "310702641"},
                     {"title": "T", "version": "1.4", "sha256": "0" * 64}, reqs, checks,
                     environment={"python": "3.11"})


def test_worst_status_wins_and_unrun_requirements_are_listed():
    r = run([check("TP-AUTH-03", "passed"), check("TP-AUTH-03", "failed", "expected 401"),
             check("TP-LIST-01", "skipped", "no test data yet")], complete=False)
    by_id = {x.id: x for x in r.requirements}
    assert by_id["TP-AUTH-03"].status == "failed"
    assert by_id["TP-LIST-01"].status == "skipped" and by_id["TP-LIST-01"].reason == "no test data yet"
    assert by_id["TP-VER-01"].status == "not_run" and by_id["TP-VER-01"].reason
    assert len(r.requirements) == len(load_catalogue().ids)


@pytest.mark.parametrize("statuses, expected", [
    ({"TP-AUTH-03": "passed"}, "passed"),
    ({"TP-AUTH-03": "failed"}, "failed"),
    ({"TP-AUTH-03": "error"}, "error"),
    ({"TP-AUTH-03": "error", "TP-LIST-01": "failed"}, "failed"),
    ({"TP-PAGE-05": "failed"}, "passed"),  # recommended: a warning, not a failure
    ({"TP-OPS-01": "failed"}, "passed"),
])
def test_verdict_rule(statuses, expected):
    r = run([check(k, v) for k, v in statuses.items()])
    assert r.verdict == expected
    if "TP-PAGE-05" in statuses:
        assert next(x for x in r.requirements if x.id == "TP-PAGE-05").status == "warning"


def test_interrupted_wins():
    assert verdict(run([check("TP-AUTH-03", "passed")]).requirements, interrupted=True) == "interrupted"


def test_json_round_trip_and_junit(tmp_path):
    r = run([check("TP-AUTH-03", "failed", "expected 401 without token, got 200"), check("TP-AUTH-04", "passed"),
             check("TP-LIST-01", "skipped", "no data")], complete=False)
    write_json(r, tmp_path / "results.json")
    again = read_json(tmp_path / "results.json")
    assert again == r and again.counts["failed"] == 1
    write_junit(r, tmp_path / "junit.xml")
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    assert r.verdict == "failed"
    failure = suite.find("testcase/failure")
    assert failure.get("message") == "expected 401 without token, got 200"


def test_html_is_self_contained_escaped_and_translated():
    r = run([check("TP-AUTH-03", "failed", "<script>alert(1)</script>")])
    html = render_html(r)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Feil og mangler" in html and "Ikke bestått" in html
    assert "http://" not in html.split("<body>")[0] and "<link" not in html and "src=" not in html
    english = render_html(r, "en")
    assert "Errors and shortcomings" in english and "Failed" in english


def test_suite_concurrency_check_fails_on_overlap():
    """TP-OPS-02 judges the evidence's in-flight count: six overlapping calls must fail it."""
    from conformance.suite.test_operations import test_suite_stays_within_concurrency_limit

    class Recorder:
        def step(self, _):
            pass

    evidence = Evidence()
    evidence.max_in_flight = 6
    with pytest.raises(AssertionError, match="6 calls in flight"):
        test_suite_stays_within_concurrency_limit(evidence, "trekkpaalegg", Recorder())
    evidence.max_in_flight = 5
    test_suite_stays_within_concurrency_limit(evidence, "trekkpaalegg", Recorder())
