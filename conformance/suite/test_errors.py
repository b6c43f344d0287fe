"""Error handling, for every API: unknown path, unsupported Accept, error bodies and their codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance.codecs import error_fields
from conformance.errorcodes import COMMON, judge
from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.suite.support import error_body_problems, judge_refusal

XML = "application/xml"


@pytest.mark.requirement("*-ERR-01")
def test_unknown_path_gives_404(sbs_session, token):
    # feil.md: a wrong address gets 404, from the application or as the gateway's plain "404 NOT FOUND".
    response = sbs_session.client.request(sbs_session.profile.common.unknown_path)
    expect(response.status_code == 404, "api.err.unknown_path", got=response.status_code)


@pytest.mark.requirement("*-ERR-02")
def test_unsupported_accept_gives_406(sbs_session, token, check):
    common = sbs_session.profile.common
    media = common.unsupported_accept
    response = sbs_session.client.request(common.probe(sbs_session), headers={"Accept": media})
    what = Message("api.err.what_accept", {"media": media})
    assumption = common.accept_assumption
    if assumption is None:  # documented for this API: -008 406 for a format it does not serve
        expect(response.status_code < 500, "api.err.server_error", what=what, got=response.status_code)
        expect(response.status_code == 406, "api.err.wrong_status", what=what, expected="406",
               got=response.status_code)
        return
    if sbs_session.assumed(assumption) == "406-or-json" and response.status_code == 200:
        check.observe(assumption, True, "200 JSON")
        return
    judge_refusal(check, response, what=what, assumption=assumption, expected=(406,), served_is_assumption=True,
                  body=False)  # the body's shape is the ERR-03 check's


@dataclass
class Sample:
    """One error situation and what the service answered."""

    what: Message
    response: Any
    xml: bool  # asked with Accept: application/xml (an API that serves XML answers with the feil element)
    situation: str = ""  # the situation's message id (the same with and without XML)


@pytest.fixture
def error_samples(sbs_session, token) -> list[Sample]:
    """One response per error situation, made once per API for the ERR-03 and ERR-04 checks: those every API has,
    the API's own, and (for an API that serves XML) the same again with Accept: application/xml."""
    profile = sbs_session.profile
    common = profile.common

    def make() -> list[Sample]:
        from conformance.profiles import ErrorSample

        probe = common.probe(sbs_session)
        situations = [ErrorSample("api.err.sample_unknown_path", common.unknown_path),
                      ErrorSample("api.err.sample_no_token", probe, token=None),
                      ErrorSample("api.err.sample_invalid_token", probe, token="ugyldig.token.verdi")]
        if sbs_session.other_scope:
            other = sbs_session.maskinporten(scope=sbs_session.other_scope, **sbs_session.token_options).access_token()
            situations.append(ErrorSample("api.err.sample_other_scope", probe, token=other))
        situations += common.error_samples(sbs_session)
        c = sbs_session.client
        out = [Sample(Message("api.err.sample_accept", {"media": common.unsupported_accept}),
                      c.request(probe, headers={"Accept": common.unsupported_accept}), False, "api.err.sample_accept")]
        for as_xml in (False, True) if common.xml else (False,):
            for s in situations:
                headers = {**(s.headers or {}), **({"Accept": XML} if as_xml else {})}
                response = sbs_session.host_client(s.host).request(s.path, params=s.params, headers=headers,
                                                                   token=s.token)
                what = Message("api.err.sample_xml", {"what": Message(s.what)}) if as_xml else Message(s.what)
                out.append(Sample(what, response, as_xml, s.what))
        return out

    return sbs_session.once("error_samples", make)


@pytest.mark.requirement("*-ERR-03")
def test_error_bodies_have_documented_shape(error_samples, check):
    service, gateway = [], []
    ids = []
    for sample in error_samples:
        response = sample.response
        if response.status_code < 400:
            continue  # not an error answer: the status is judged by the requirement for that situation
        problems = error_body_problems(response, xml=sample.xml)
        if problems and sample.situation.endswith("unknown_path") and response.status_code == 404 and \
                error_fields(response.headers.get("content-type", ""), response.text) is None:
            check.warn("api.err.gateway_answer", what=sample.what)  # feil.md: the gateway's own 404
            continue
        found = [Message("api.err.in_sample", {"what": sample.what, "problem": p}) for p in problems]
        (gateway if response.status_code in (401, 403) else service).extend(found)
        if not problems:
            ids.append((sample.what, error_fields(response.headers.get("content-type", ""),
                                                  response.text)["korrelasjonsid"]))
    for problem in gateway:
        check.warn("api.err.gateway_recommended", problem=problem)
    expect(not service, "api.err.shape", problems=service[:4])
    seen: dict[str, Message] = {}
    for what, kid in ids:
        expect(kid not in seen, "api.err.reused_id", id=kid, first=seen.get(kid, what), second=what)
        seen[kid] = what


@pytest.mark.requirement("*-ERR-04")
def test_error_codes_match_documented_status(sbs_session, error_samples, check):
    """Each code is judged by its own prefix's table: the common DAS codes by theirs, the API's codes by the
    API's (where the API's prefix is undocumented, by its assumption); another prefix is a warning."""
    common = sbs_session.profile.common
    assumption = common.error_prefix_assumption
    prefix = sbs_session.assumed(assumption) if assumption else common.error_table.prefix
    tables = (COMMON, common.error_table.with_prefix(prefix), *common.other_tables)
    judged, wrong, foreign = 0, [], []
    for sample in error_samples:
        response = sample.response
        fields = error_fields(response.headers.get("content-type", ""), response.text) \
            if response.status_code >= 400 else None
        kode = fields.get("kode") if fields else None
        if not isinstance(kode, str):
            continue  # shape problems are the ERR-03 check's
        judgement = judge(kode, tables)
        if not judgement.known_prefix:
            foreign.append(kode)
            continue
        if judgement.statuses is None:
            continue  # a number the table does not have cannot be judged
        judged += 1
        if response.status_code not in judgement.statuses:
            wrong.append(Message("api.err.code_status", {"what": sample.what, "kode": kode,
                                                         "documented": judgement.statuses[0],
                                                         "got": response.status_code}))
    expect(not wrong, "api.err.codes", problems=wrong)
    if foreign:
        if assumption is None:
            check.warn("api.err.unknown_prefix_documented", codes=sorted(set(foreign)),
                       known=[t.prefix for t in tables])
        else:
            check.expect_assumed(assumption, False, foreign[0], "api.err.unknown_prefix",
                                 codes=sorted(set(foreign)), known=[t.prefix for t in tables])
    if not judged:
        skip("api.err.nothing_to_judge")
    if assumption:
        check.observe(assumption, True, prefix)
