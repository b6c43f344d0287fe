"""Error handling: unknown path, unsupported Accept, error bodies and their codes."""

from __future__ import annotations

import pytest

from conformance.errorcodes import documented_statuses
from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.suite.support import error_body_problems


@pytest.mark.requirement("TP-ERR-01")
def test_unknown_path_gives_404(sbs_session, token):
    response = sbs_session.client.request("/finnes-ikke/1/2")
    expect(response.status_code == 404, "tp.err.unknown_path", got=response.status_code)


@pytest.mark.requirement("TP-ERR-02")
def test_unsupported_accept_gives_406(sbs_session, token):
    response = sbs_session.client.request(headers={"Accept": "application/xml"})
    expect(response.status_code == 406, "tp.err.accept", got=response.status_code)


@pytest.fixture
def error_samples(sbs_session, token):
    """One response per error situation (keyed by a message id), made once for TP-ERR-03 and TP-ERR-04."""
    def make():
        c = sbs_session.client
        samples = {
            "tp.err.sample_only_maks": c.request(params={"maksAntall": "5"}),
            "tp.err.sample_unknown_trekkid": c.request("/sbs-finnes-ikke/1"),
            "tp.err.sample_unknown_path": c.request("/finnes-ikke/1/2"),
            "tp.err.sample_accept_xml": c.request(headers={"Accept": "application/xml"}),
            "tp.err.sample_no_token": c.request(token=None),
            "tp.err.sample_invalid_token": c.request(token="ugyldig.token.verdi"),
        }
        if sbs_session.other_scope:
            samples["tp.err.sample_other_scope"] = c.request(
                token=sbs_session.maskinporten(scope=sbs_session.other_scope).access_token())
        return samples

    return sbs_session.once("error_samples", make)


@pytest.mark.requirement("TP-ERR-03")
def test_error_bodies_have_documented_shape(error_samples, check):
    service, gateway = [], []
    ids = []
    for what, response in error_samples.items():
        if response.status_code < 400:
            continue  # not an error answer: the status is judged by the requirement for that situation
        problems = error_body_problems(response)
        found = [Message("tp.err.in_sample", {"what": Message(what), "problem": p}) for p in problems]
        (gateway if response.status_code in (401, 403) else service).extend(found)
        if not problems:
            ids.append((what, response.json()["korrelasjonsid"]))
    for problem in gateway:
        check.warn("tp.err.gateway_recommended", problem=problem)
    expect(not service, "tp.err.shape", problems=service[:4])
    seen: dict[str, str] = {}
    for what, kid in ids:
        expect(kid not in seen, "tp.err.reused_id", id=kid, first=Message(seen.get(kid, what)), second=Message(what))
        seen[kid] = what


@pytest.mark.requirement("TP-ERR-04")
def test_error_codes_match_documented_status(error_samples):
    judged, wrong = 0, []
    for what, response in error_samples.items():
        if response.status_code < 400:
            continue
        try:
            kode = response.json().get("kode")
        except (ValueError, AttributeError):
            continue
        if not isinstance(kode, str):
            continue
        statuses = documented_statuses(kode)
        if statuses is None:
            continue  # shape problems are TP-ERR-03's; unknown numbers cannot be judged
        judged += 1
        if response.status_code not in statuses:
            wrong.append(Message("tp.err.code_status", {"what": Message(what), "kode": kode,
                                                        "documented": statuses[0], "got": response.status_code}))
    if not judged:
        skip("tp.err.nothing_to_judge")
    expect(not wrong, "tp.err.codes", problems=wrong)
