"""The lookup the events point to: data for events that are not SLETTET, 410 for deleted data, 404 for an
identifier without data. The lookup's host is ``--param lookup_base_url`` (A-UTT-HOSTS), its path and body
A-UTT-LOOKUP-PATH and A-UTT-LOOKUP-SCHEMA (the schema a requirement only with an official --spec)."""

from __future__ import annotations

import pytest

from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.profiles.utleggstrekk.common import DELETED, lookup_base, lookup_path, period_params
from conformance.suite.support import error_kode, expect_code, expect_error, sample
from conformance.suite.test_eventlist import large_read

SCHEMA = "Utleggstrekk"
SAMPLED = 5


def _lookup(sbs_session, event):
    client = sbs_session.host_client("lookup")
    return client.request(lookup_path(sbs_session, event["identifikator"]),
                          params=period_params(event.get("gjelderPeriode")))


def _latest(events):
    """The last event of each (identifikator, gjelderPeriode): what the lookup must now answer for."""
    latest = {}
    for e in events:
        if isinstance(e, dict) and e.get("identifikator"):
            latest[(e["identifikator"], e.get("gjelderPeriode"))] = e
    return list(latest.values())


@pytest.mark.requirement("UTT-LOOKUP-01")
def test_lookup_of_events_that_are_not_deleted(sbs_session, token, openapi_schema, check):
    alive = [e for e in _latest(large_read(sbs_session)) if e.get("hendelsetype") != "SLETTET"]
    if not alive:
        skip("utt.no_live_events")
    check.step("utt.lookup_host", url=lookup_base(sbs_session))
    official = sbs_session.run.settings.spec is not None
    for event in sample(alive, SAMPLED):
        response = _lookup(sbs_session, event)
        what = Message("utt.what_event", {"seq": event["sekvensnummer"], "periode": event.get("gjelderPeriode")})
        expect(response.status_code == 200, "utt.lookup_status", what=what, got=response.status_code)
        body = response.json()
        expect(isinstance(body, dict) and body.get("identifikator") == event["identifikator"], "utt.lookup_echo",
               what=what, got=(body or {}).get("identifikator") if isinstance(body, dict) else "-")
        problems = [p.text for p in openapi_schema.problems(body, SCHEMA)]
        if problems and official:
            expect(False, "utt.lookup_schema", what=what, problems=problems[:4])
        elif problems:  # the schema is reconstructed from a placeholder: A-UTT-LOOKUP-SCHEMA
            check.warn("utt.lookup_schema_reconstructed", what=what, problems=problems[:4])
    check.observe("A-UTT-LOOKUP-PATH", True, lookup_path(sbs_session, "{identifikator}"))


@pytest.mark.requirement("UTT-LOOKUP-02")
def test_lookup_of_a_deleted_month_is_410(sbs_session, token, check):
    deleted = [e for e in _latest(large_read(sbs_session)) if e.get("hendelsetype") == "SLETTET"]
    if not deleted:
        skip("utt.no_deleted_events")
    event = deleted[0]
    what = Message("utt.what_deleted", {"seq": event["sekvensnummer"], "periode": event.get("gjelderPeriode")})
    response = _lookup(sbs_session, event)
    expect_error(response, what, 410, "utt.deleted_status")
    expect_code(response, DELETED, what)
    check.observe("A-UTT-DELETED-410", True, 410)


@pytest.mark.requirement("UTT-LOOKUP-03")
def test_lookup_without_data_is_404(sbs_session, token, check):
    person = sbs_session.params["identifikator"]
    what = Message("utt.what_no_data", {"identifikator": person})
    response = sbs_session.host_client("lookup").request(lookup_path(sbs_session, person))
    expect_error(response, what, 404, "utt.no_data_status")
    kode = error_kode(response) or "-"
    expect(kode.endswith(("-007", "-009")), "utt.no_data_code", what=what, got=kode)
