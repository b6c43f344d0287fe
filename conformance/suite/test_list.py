"""The list operation: empty organisation, shape, schema, organisation, latest version only."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.maskinporten.grant import decode_unverified
from conformance.maskinporten.tokens import token_org
from conformance.spec import LIST_PATH
from conformance.suite.support import schemathesis_problems


@pytest.mark.requirement("TP-EMPTY-01")
def test_organisation_without_data_gets_empty_list(sbs_session, maskinporten_token, check):
    s = sbs_session.settings
    if s.empty_org:
        client = sbs_session.api(sbs_session.maskinporten(systemuser_org=s.empty_org).access_token)
        check.step(f"systembruker token for {s.empty_org}")
    elif sbs_session.liste() == []:
        client = sbs_session.client
    else:
        pytest.skip("no organisation without data configured (--empty-org)")
    response = client.request()
    assert response.status_code == 200, f"expected 200 for an organisation without data, got {response.status_code}"
    body = response.json() if response.content else None
    assert body == [], f"expected an empty JSON array, got {response.text[:80]!r}"


@pytest.mark.requirement("TP-LIST-01")
def test_list_is_json_array(sbs_session, maskinporten_token):
    response = sbs_session.client.request()
    assert response.status_code == 200, f"expected 200, got {response.status_code}"
    ctype = response.headers.get("content-type", "")
    assert ctype.split(";")[0].strip() == "application/json", f"content-type is {ctype!r}, expected application/json"
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError("body is not JSON") from exc
    assert isinstance(body, list), f"body is a JSON {type(body).__name__}, expected an array"


@pytest.mark.requirement("TP-LIST-02")
def test_list_valid_against_openapi(sbs_session, openapi_schema, liste, check):
    response = sbs_session.client.request()
    problems = schemathesis_problems(openapi_schema, sbs_session.settings.base_url, LIST_PATH, response)
    paged = sbs_session.client.request(params={"fraSekvensnummer": 0, "maksAntall": 2})
    problems += schemathesis_problems(openapi_schema, sbs_session.settings.base_url, LIST_PATH, paged)
    item_errors = [f"trekkid {i.get('trekkid')}: {e}" for i in liste for e in openapi_schema.errors(i, "Trekkpaalegg")]
    assert not problems and not item_errors, "; ".join((problems + item_errors)[:5])
    unknown = sorted({p.split("]", 1)[-1] for i in liste for p in openapi_schema.unknown_fields(i, "Trekkpaalegg")})
    if unknown:
        check.warn(f"fields not in the OpenAPI document (allowed, new fields may come): {', '.join(unknown[:10])}")


@pytest.mark.requirement("TP-LIST-03")
def test_items_belong_to_token_organisation(liste, maskinporten_token):
    org = token_org(decode_unverified(maskinporten_token.access_token)[1])
    wrong = [i.get("trekkid") for i in liste if i.get("trekkpliktig") != org]
    assert not wrong, f"{len(wrong)} item(s) have trekkpliktig other than {org}, e.g. trekkid {wrong[0]}"


@pytest.mark.requirement("TP-LIST-04")
def test_list_has_latest_version_only(liste):
    counts = Counter(i.get("trekkid") for i in liste)
    repeated = [t for t, n in counts.items() if n > 1]
    assert not repeated, f"trekkid {repeated[0]} appears {counts[repeated[0]]} times (latest version only expected)"
