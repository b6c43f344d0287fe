"""The event-list checks (``*-HEND-*``), for every API with a hendelseliste (``CommonSetup.event_list``): the page's
shape, paging to completion with the inclusive cursor, ``start?dato``, refusals and the end, the XML list.
Source: https://skatteetaten.github.io/api-dokumentasjon/api/hendelser
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

from conformance.apiclient import ApiError, UnexpectedBody, body_of
from conformance.codecs import parsed
from conformance.feed import INCLUSIVE, pages
from conformance.messages import Message
from conformance.outcomes import expect, skip
from conformance.suite.support import expect_code, expect_error, expect_error_body

XML = "application/xml"


def _setup(sbs_session):
    return sbs_session.profile.common.event_list


def fetch(sbs_session, fra: int, antall: int) -> list[dict[str, Any]]:
    """One page of events (an ApiError for anything but 200 with a ``hendelser`` list)."""
    body = body_of(sbs_session.client.request("/hendelser", params={"fraSekvensnummer": fra, "antall": antall}),
                   dict, "api.hend.not_object")
    events = body.get("hendelser")
    if not isinstance(events, list):
        raise UnexpectedBody(Message("api.hend.no_list"))
    return events


def large_read(sbs_session) -> list[dict[str, Any]]:
    """Every event, read once per run with the large page size (its calls are relied on by every check)."""
    size = _setup(sbs_session).large

    def read() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in pages(lambda f, a: fetch(sbs_session, f, a), 1, size, INCLUSIVE, max_pages=50):
            out += page.items
        return out

    return sbs_session.once("hendelser-large", read)


def _seqs(events: list[dict[str, Any]]) -> list[Any]:
    return [e.get("sekvensnummer") for e in events if isinstance(e, dict)]


@pytest.mark.requirement("*-HEND-01")
def test_a_page_of_events(sbs_session, token, openapi_schema, check):
    setup = _setup(sbs_session)
    size = setup.page_sizes[-1]
    response = sbs_session.client.request("/hendelser", params={"fraSekvensnummer": 1, "antall": size})
    check.step("api.hend.asked", fra=1, antall=size)
    expect(response.status_code == 200, "api.hend.status", got=response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = None
    expect(isinstance(body, dict) and isinstance(body.get("hendelser"), list), "api.hend.no_list")
    problems = [p.text for p in openapi_schema.problems(body, setup.schema)]
    expect(not problems, "api.hend.schema", problems=problems[:5])
    events = body["hendelser"]
    expect(len(events) <= size, "api.hend.too_many", count=len(events), antall=size)
    check.step("api.hend.events", count=len(events))
    unknown = openapi_schema.unknown_fields(body, setup.schema)
    if unknown:
        check.warn("api.hend.unknown_fields", fields=unknown[:5], count=len(unknown))


@pytest.mark.requirement("*-HEND-02")
def test_paging_to_completion_with_the_inclusive_cursor(sbs_session, token, check):
    setup = _setup(sbs_session)
    everything = _seqs(large_read(sbs_session))
    expect(all(isinstance(s, int) for s in everything), "api.hend.seq_not_int")
    expect(all(a < b for a, b in itertools.pairwise(everything)), "api.hend.not_increasing",
           first=everything[:6])
    check.step("api.hend.large", count=len(everything), antall=setup.large)
    for size in setup.page_sizes:
        read: list[Any] = []
        count = 0
        limit = setup.max_pages_of_one if size == 1 else setup.max_pages
        for page in pages(lambda f, a: fetch(sbs_session, f, a), 1, size, INCLUSIVE, max_pages=limit):
            read += _seqs(page.items)
            count += 1
        complete = count < limit or len(read) >= len(everything)
        want = everything if complete else everything[:len(read)]
        duplicates = sorted(s for s, n in Counter(read).items() if n > 1)[:5]
        missing = sorted(set(want) - set(read))[:5]
        extra = sorted(set(read) - set(want))[:5]
        check.step("api.hend.paged", antall=size, pages=count, count=len(read),
                   whole=Message("api.hend.whole" if complete else "api.hend.window"))
        expect(not duplicates, "api.hend.duplicates", antall=size, seqs=duplicates)
        expect(not missing and not extra and read == want, "api.hend.differs", antall=size, missing=missing,
               extra=extra)


@pytest.mark.requirement("*-HEND-03")
def test_start_from_a_date(sbs_session, token, openapi_schema, check):
    setup = _setup(sbs_session)
    day = setup.start_dato(sbs_session)
    response = sbs_session.client.request("/hendelser/start", params={"dato": day})
    check.step("api.hend.start_asked", dato=day)
    expect(response.status_code == 200, "api.hend.start_status", got=response.status_code)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    expect(isinstance(body, dict) and not openapi_schema.problems(body, setup.start_schema),
           "api.hend.start_body", got=str(body)[:80])
    n = body["sekvensnummer"]
    everything = large_read(sbs_session)
    from_n = [e for e in everything if isinstance(e.get("sekvensnummer"), int) and e["sekvensnummer"] >= n]
    early = [e for e in from_n[:setup.large] if str(e.get("registreringstidspunkt") or day)[:10] < day]
    expect(not early, "api.hend.start_early", n=n, dato=day, seq=early[0]["sekvensnummer"] if early else "-")
    before = [e for e in everything if isinstance(e.get("sekvensnummer"), int) and e["sekvensnummer"] < n]
    if before and before[-1].get("registreringstidspunkt"):
        last = before[-1]
        expect(str(last["registreringstidspunkt"])[:10] < day, "api.hend.start_late", n=n, dato=day,
               seq=last["sekvensnummer"], tid=last["registreringstidspunkt"])
    check.step("api.hend.start_answer", n=n, after=len(from_n))


@pytest.mark.requirement("*-HEND-04")
def test_invalid_parameters_and_the_end(sbs_session, token, check):
    setup = _setup(sbs_session)
    cases = [("api.hend.what_antall_0", "/hendelser", {"fraSekvensnummer": "1", "antall": "0"}),
             ("api.hend.what_negative", "/hendelser", {"fraSekvensnummer": "-1", "antall": "5"}),
             ("api.hend.what_text", "/hendelser", {"fraSekvensnummer": "en", "antall": "5"}),
             ("api.hend.what_bad_date", "/hendelser/start", {"dato": "2023-13-45"})]
    for what, path, params in cases:  # FA-004 400 is documented for input validation
        response = sbs_session.client.request(path, params=params)
        expect_error(response, what, 400, "api.hend.status_in")
        expect_code(response, "004", what)
    everything = _seqs(large_read(sbs_session))
    past = (everything[-1] if everything else 0) + 1000
    response = sbs_session.client.request("/hendelser", params={"fraSekvensnummer": past, "antall": 10})
    assumption = setup.past_end_assumption
    if response.status_code == 404:
        expect_error_body(response, "api.hend.what_past_end")
        expect_code(response, "005", "api.hend.what_past_end")
        check.expect_assumed(assumption, sbs_session.assumed(assumption) in ("empty-or-404", "404"), "404",
                             "api.hend.past_end", got="404")
    else:
        try:
            listed = fetch(sbs_session, past, 10)
        except ApiError:
            listed = None
        expect(listed == [], "api.hend.past_end_not_empty", got=response.status_code)
        check.expect_assumed(assumption, sbs_session.assumed(assumption) in ("empty-or-404", "empty"), "empty",
                             "api.hend.past_end", got="[]")


@pytest.mark.requirement("*-HEND-05")
def test_the_xml_list_has_the_same_events(sbs_session, token, openapi_schema, check):
    setup = _setup(sbs_session)
    size = setup.page_sizes[-1]
    params = {"fraSekvensnummer": 1, "antall": size}
    response = sbs_session.client.request("/hendelser", params=params, headers={"Accept": XML})
    expect(response.status_code == 200, "api.hend.xml_status", got=response.status_code)
    found = parsed("application/xml", response.text)
    expect(found is not None and found[0].name == "xml", "api.hend.xml_not_xml")
    instance, mapping, unknown = openapi_schema.from_xml(found[1], setup.schema)
    expect(not mapping, "api.hend.xml_mapping", problems=mapping)
    problems = [p.text for p in openapi_schema.problems(instance, setup.schema)]
    expect(not problems, "api.hend.xml_schema", problems=problems[:5])
    if unknown:
        check.warn("api.hend.xml_unknown", elements=unknown[:5], count=len(unknown))
    as_json = fetch(sbs_session, 1, size)
    keys = ("sekvensnummer", "identifikator", "gjelderPeriode", "hendelsetype")
    differs = [Message("api.hend.xml_differs", {"seq": j.get("sekvensnummer"), "field": k, "xml": x.get(k),
                                                "json": j.get(k)})
               for x, j in zip(instance.get("hendelser") or [], as_json, strict=False) for k in keys
               if str(x.get(k)) != str(j.get(k))]
    count_x, count_j = len(instance.get("hendelser") or []), len(as_json)
    expect(count_x == count_j, "api.hend.xml_count", xml=count_x, json=count_j)
    expect(not differs, "api.hend.xml_not_same", problems=differs[:4], count=len(differs))
    if not as_json:
        skip("api.hend.no_events")
