"""The list operation: empty organisation, shape, schema, organisation, latest version only."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.maskinporten.grant import decode_unverified
from conformance.maskinporten.tokens import token_org
from conformance.outcomes import expect, skip
from conformance.profiles.trekkpaalegg import LIST_PATH
from conformance.profiles.trekkpaalegg.datarules import tolerated
from conformance.profiles.trekkpaalegg.fixtures import liste_of

MAX_LISTED = 5  # problems named in a message (the count says how many there are)


@pytest.mark.requirement("TP-EMPTY-01")
def test_organisation_without_data_gets_empty_list(sbs_session, token, check):
    s = sbs_session.settings
    if s.empty_org:
        client = sbs_session.api(sbs_session.maskinporten(systemuser_org=s.empty_org).access_token)
        check.step("tp.list.empty_org_token", org=s.empty_org)
    elif len(liste_of(sbs_session)) == 0:
        client = sbs_session.client
    else:
        skip("tp.list.no_empty_org")
    response = client.request()
    expect(response.status_code == 200, "tp.list.empty_status", got=response.status_code)  # documented: 200
    if not response.content.strip():  # what the body is, is A-TP-EMPTY-BODY
        check.expect_assumed("A-TP-EMPTY-BODY", sbs_session.assumed("A-TP-EMPTY-BODY") == "empty-or-list",
                             "empty body", "tp.list.empty_body_empty")
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    expect(body == [], "tp.list.empty_body", got=repr(response.text[:80]))
    check.observe("A-TP-EMPTY-BODY", True, "[]")


@pytest.mark.requirement("TP-LIST-01")
def test_list_is_json_array(sbs_session, token):
    liste = liste_of(sbs_session)  # streamed: a non-200 answer or a body that is no JSON array fails here
    ctype = liste.content_type
    expect(ctype.split(";")[0].strip() == "application/json", "tp.list.content_type", got=repr(ctype))


@pytest.mark.requirement("TP-LIST-02")
def test_list_valid_against_openapi(sbs_session, openapi_schema, liste, check):
    count, problems, tolerated_seen, unknown = 0, [], {}, set()

    def judge(item, where: str, found: list | None = None) -> None:
        nonlocal count
        for problem in openapi_schema.problems(item, "Trekkpaalegg") if found is None else found:
            variation = tolerated(problem)
            if variation is not None:  # a documented variation: a warning, once per kind
                tolerated_seen.setdefault(variation.id, variation)
                continue
            count += 1
            if len(problems) < MAX_LISTED:
                problems.append(f"{where}: {problem.text}")

    for maks in (1, 2):  # the answer as a whole on pages of the list: status, content type, headers, body
        paged = sbs_session.client.request(params={"fraSekvensnummer": 0, "maksAntall": maks})
        found = openapi_schema.response_problems("GET", LIST_PATH, paged)
        count, problems = count + len(found), problems + found[:MAX_LISTED]
        body = paged.json() if paged.status_code == 200 else []
        for item in body if isinstance(body, list) else []:
            judge(item, f"maksAntall={maks}")
    for item in liste:  # every item of the unpaged list, one at a time (review: one validator call for a good one)
        found, fields = openapi_schema.review(item, "Trekkpaalegg")
        judge(item, f"trekkid {item.get('trekkid')}", found)
        if len(unknown) < 50:
            unknown |= {p.split("]", 1)[-1] for p in fields}
    expect(not count, "tp.list.schema", count=count, problems=problems)
    for variation in tolerated_seen.values():
        check.warn(variation)
    if unknown:
        check.warn("tp.list.unknown_fields", fields=sorted(unknown)[:10])


@pytest.mark.requirement("TP-LIST-03")
def test_items_belong_to_token_organisation(liste, token):
    org = token_org(decode_unverified(token.access_token)[1])
    wrong, example = 0, ""
    for item in liste:
        if item.get("trekkpliktig") != org:
            wrong, example = wrong + 1, example or str(item.get("trekkid"))
    expect(not wrong, "tp.list.other_org", count=wrong, org=org, example=example)


@pytest.mark.requirement("TP-LIST-04")
def test_list_has_latest_version_only(liste):
    counts = Counter(liste.trekkids)
    repeated = [t for t, n in counts.items() if n > 1]
    expect(not repeated, "tp.list.repeated", trekkid=repeated[0] if repeated else "",
           times=counts[repeated[0]] if repeated else 0)
