"""Waivers: applied, expired, stale; never a silent pass of a required failure."""

from __future__ import annotations

import datetime as dt

import pytest
from reportkit import recorded_evidence, result_for

from conformance.errors import ConfigError
from conformance.report.html import render_html
from conformance.results import verdict
from conformance.waivers import Waiver, apply_waivers, load_waivers

TODAY = dt.date(2026, 11, 21)


def test_states_and_verdict():
    result = result_for(recorded_evidence(), complete=True)  # TP-AUTH-03 failed, the others passed
    waivers = [Waiver("TP-AUTH-03", "Rettes i 7.3", dt.date(2026, 12, 31), "Kari Nordmann"),
               Waiver("TP-LIST-01", "gammel", dt.date(2026, 12, 31), "Ola"),
               Waiver("TP-VER-01", "kjørt og bestått", dt.date(2026, 12, 31), "Ola")]
    states = apply_waivers(result.requirements, waivers, TODAY)
    assert [s["state"] for s in states] == ["applied", "stale", "stale"]
    auth = next(r for r in result.requirements if r.id == "TP-AUTH-03")
    assert auth.status == "waived" and auth.waiver["original_status"] == "failed"
    assert verdict(result.requirements) == "passed"
    result.waivers = states
    html = render_html(result)
    cover = html[:html.index('id="summary"')]
    assert "waived-required" in cover and "Rettes i 7.3" in cover and "Kari Nordmann" in cover
    assert "fjern unntaket" in html  # the stale waiver is reported


def test_expired_waiver_is_not_applied():
    result = result_for(recorded_evidence(), complete=True)
    states = apply_waivers(result.requirements, [Waiver("TP-AUTH-03", "r", dt.date(2026, 11, 20), "a")], TODAY)
    assert states[0]["state"] == "expired"
    assert verdict(result.requirements) == "failed"


@pytest.mark.parametrize("text, message", [
    ("waivers: [{id: TP-AUTH-03, reason: r, expires: 2026-12-01}]", "lacks approved_by"),
    ("waivers: [{id: TP-NOPE-01, reason: r, expires: 2026-12-01, approved_by: a}]", "unknown requirement"),
    ("waivers: [{id: TP-AUTH-03, reason: r, expires: snart, approved_by: a}]", "not a date"),
    ("nothing: here", "no list 'waivers'"),
])
def test_bad_waiver_files(tmp_path, text, message):
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_waivers(path, {"TP-AUTH-03"})
