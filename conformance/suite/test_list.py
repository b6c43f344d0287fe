"""The list operation: empty organisation, shape, schema, organisation, latest version only."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.maskinporten.grant import decode_unverified
from conformance.maskinporten.tokens import token_org
from conformance.outcomes import expect, fail, skip
from conformance.spec import LIST_PATH
from conformance.suite.support import schemathesis_problems


@pytest.mark.requirement("TP-EMPTY-01")
def test_organisation_without_data_gets_empty_list(sbs_session, token, check):
    s = sbs_session.settings
    if s.empty_org:
        client = sbs_session.api(sbs_session.maskinporten(systemuser_org=s.empty_org).access_token)
        check.step("tp.list.empty_org_token", org=s.empty_org)
    elif sbs_session.liste() == []:
        client = sbs_session.client
    else:
        skip("tp.list.no_empty_org")
    response = client.request()
    expect(response.status_code == 200, "tp.list.empty_status", got=response.status_code)
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    expect(body == [], "tp.list.empty_body", got=repr(response.text[:80]))


@pytest.mark.requirement("TP-LIST-01")
def test_list_is_json_array(sbs_session, token):
    response = sbs_session.client.request()
    expect(response.status_code == 200, "tp.list.status", got=response.status_code)
    ctype = response.headers.get("content-type", "")
    expect(ctype.split(";")[0].strip() == "application/json", "tp.list.content_type", got=repr(ctype))
    try:
        body = response.json()
    except ValueError:
        fail("tp.list.not_json")
    expect(isinstance(body, list), "tp.list.not_array", got=type(body).__name__)


@pytest.mark.requirement("TP-LIST-02")
def test_list_valid_against_openapi(sbs_session, openapi_schema, liste, check):
    response = sbs_session.client.request()
    problems = schemathesis_problems(openapi_schema, sbs_session.settings.base_url, LIST_PATH, response)
    paged = sbs_session.client.request(params={"fraSekvensnummer": 0, "maksAntall": 2})
    problems += schemathesis_problems(openapi_schema, sbs_session.settings.base_url, LIST_PATH, paged)
    item_errors = [f"trekkid {i.get('trekkid')}: {e}" for i in liste for e in openapi_schema.errors(i, "Trekkpaalegg")]
    found = problems + item_errors
    expect(not found, "tp.list.schema", count=len(found), problems=found[:5])
    unknown = sorted({p.split("]", 1)[-1] for i in liste for p in openapi_schema.unknown_fields(i, "Trekkpaalegg")})
    if unknown:
        check.warn("tp.list.unknown_fields", fields=unknown[:10])


@pytest.mark.requirement("TP-LIST-03")
def test_items_belong_to_token_organisation(liste, token):
    org = token_org(decode_unverified(token.access_token)[1])
    wrong = [i.get("trekkid") for i in liste if i.get("trekkpliktig") != org]
    expect(not wrong, "tp.list.other_org", count=len(wrong), org=org, example=wrong[0] if wrong else "")


@pytest.mark.requirement("TP-LIST-04")
def test_list_has_latest_version_only(liste):
    counts = Counter(i.get("trekkid") for i in liste)
    repeated = [t for t, n in counts.items() if n > 1]
    expect(not repeated, "tp.list.repeated", trekkid=repeated[0] if repeated else "",
           times=counts[repeated[0]] if repeated else 0)
