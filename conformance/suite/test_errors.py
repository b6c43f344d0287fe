"""Error handling: unknown path, unsupported Accept, error bodies and their codes."""

from __future__ import annotations

import pytest

from conformance.errorcodes import COMMON, TREKKPAALEGG, judge
from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.suite.support import error_body_problems, judge_refusal

UNKNOWN_PATH = "tp.err.sample_unknown_path"


@pytest.mark.requirement("TP-ERR-01")
def test_unknown_path_gives_404(sbs_session, token):
    # feil.md: a wrong address gets 404, from the application or as the gateway's plain "404 NOT FOUND".
    response = sbs_session.client.request("/finnes-ikke/1/2")
    expect(response.status_code == 404, "tp.err.unknown_path", got=response.status_code)


@pytest.mark.requirement("TP-ERR-02")
def test_unsupported_accept_gives_406(sbs_session, token, check):
    response = sbs_session.client.request(headers={"Accept": "application/xml"})
    if sbs_session.assumed("A-TP-ACCEPT-406") == "406-or-json" and response.status_code == 200:
        check.observe("A-TP-ACCEPT-406", True, "200 JSON")
        return
    judge_refusal(check, response, what="tp.err.what_accept_xml", assumption="A-TP-ACCEPT-406", expected=(406,),
                  served_is_assumption=True, body=False)  # the body's shape is TP-ERR-03's


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
        if problems and what == UNKNOWN_PATH and response.status_code == 404 and not _json(response):
            check.warn("tp.err.gateway_answer", what=Message(what))  # feil.md: the gateway's own 404
            continue
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


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


@pytest.mark.requirement("TP-ERR-04")
def test_error_codes_match_documented_status(sbs_session, error_samples, check):
    """Each code is judged by its own prefix's table: the common DAS codes by theirs, the API's codes by the
    API's (its prefix is A-TP-ERROR-PREFIX); a prefix outside both is a warning naming the assumption."""
    prefix = sbs_session.assumed("A-TP-ERROR-PREFIX")
    tables = (COMMON, TREKKPAALEGG.with_prefix(prefix))
    judged, wrong, foreign = 0, [], []
    for what, response in error_samples.items():
        body = _json(response) if response.status_code >= 400 else None
        kode = body.get("kode") if isinstance(body, dict) else None
        if not isinstance(kode, str):
            continue  # shape problems are TP-ERR-03's
        judgement = judge(kode, tables)
        if not judgement.known_prefix:
            foreign.append(kode)
            continue
        if judgement.statuses is None:
            continue  # a number the table does not have cannot be judged
        judged += 1
        if response.status_code not in judgement.statuses:
            wrong.append(Message("tp.err.code_status", {"what": Message(what), "kode": kode,
                                                        "documented": judgement.statuses[0],
                                                        "got": response.status_code}))
    expect(not wrong, "tp.err.codes", problems=wrong)
    if foreign:
        check.expect_assumed("A-TP-ERROR-PREFIX", False, foreign[0], "tp.err.unknown_prefix",
                             codes=sorted(set(foreign)), known=[t.prefix for t in tables])
    if not judged:
        skip("tp.err.nothing_to_judge")
    check.observe("A-TP-ERROR-PREFIX", True, prefix)
