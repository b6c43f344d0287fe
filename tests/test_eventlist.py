"""The event list on the mock, over real HTTP: the inclusive cursor, gaps, both path forms, start?dato, the end of
the list, XML by hendelser.xsd, FA- codes; and the shared paging loop with both cursors."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import httpx
import pytest
from lxml import etree

from conformance.apiclient import UnexpectedBody
from conformance.feed import EXCLUSIVE, INCLUSIVE, pages
from conformance.maskinporten import MaskinportenClient, SigningCredential
from conformance.mock import Variants, serve
from conformance.mock.credentials import register_client
from conformance.mock.eventlist import NAMESPACE, EventStore
from conformance.mock.state import MOCK_ORG, seeded_state
from conformance.profiles.utleggstrekk import SCOPE

API = "utleggstrekk"
XSD = Path(__file__).parent / "data" / "hendelser_utvidet.xsd"  # Skatteetaten's (beta-apier static/download)


@pytest.fixture
def served():
    state = seeded_state(50, profiles=[API])
    creds = register_client(state, MOCK_ORG)
    with serve(state) as running:
        token = MaskinportenClient(SigningCredential(creds.private_key, kid=creds.kid), client_id=creds.client_id,
                                   issuer=running.issuer, token_url=running.token_url, scopes=[SCOPE]).access_token()
        yield state, running, token


def _get(running, token, path, **params):
    return httpx.get(f"{running.origin}/utleggstrekkhendelser/v1{path}", params=params,
                     headers={"Authorization": f"Bearer {token}"})


def test_pages_are_inclusive_with_gaps_on_both_path_forms(served):
    _, running, token = served
    events = _get(running, token, "/hendelser", fraSekvensnummer=1, antall=10000).json()["hendelser"]
    seqs = [e["sekvensnummer"] for e in events]
    assert seqs == sorted(set(seqs)) and any(b - a > 1 for a, b in itertools.pairwise(seqs))  # gaps
    third = seqs[2]
    page = _get(running, token, "/hendelser/", fraSekvensnummer=third, antall=2).json()["hendelser"]
    assert [e["sekvensnummer"] for e in page] == seqs[2:4]  # from the one named, inclusive
    assert {e["hendelsetype"] for e in events} <= {"NY", "ENDRET", "SLETTET"} and "SLETTET" in {
        e["hendelsetype"] for e in events}


def test_start_past_the_end_and_refusals(served):
    state, running, token = served
    store = state.data[API].events
    start = _get(running, token, "/hendelser/start", dato="2023-06-01").json()["sekvensnummer"]
    first = next(e for e in store.events if e["sekvensnummer"] == start)
    before = [e for e in store.events if e["sekvensnummer"] < start][-1]
    assert first["registreringstidspunkt"] >= "2023-06-01" > before["registreringstidspunkt"]
    assert _get(running, token, "/hendelser", fraSekvensnummer=store.last + 1, antall=5).json() == {"hendelser": []}
    for params in ({"fraSekvensnummer": 1, "antall": 0}, {"fraSekvensnummer": "en", "antall": 5},
                   {"fraSekvensnummer": 1}):
        answer = _get(running, token, "/hendelser", **params)
        assert answer.status_code == 400 and answer.json()["kode"] == "FA-004"
    assert _get(running, token, "/hendelser/start", dato="2023-13-45").json()["kode"] == "FA-004"
    assert _get(running, token, "/finnes-ikke").json()["kode"] == "FA-002"
    assert _get(running, token, "/hendelser", fraSekvensnummer=1, antall=1).status_code == 200
    refused = httpx.get(f"{running.origin}/utleggstrekkhendelser/v1/hendelser?fraSekvensnummer=1&antall=1")
    assert refused.status_code == 401 and refused.json()["kode"] == "FA-003"


def test_past_the_end_may_be_404_under_its_variant():
    state = seeded_state(50, profiles=[API], variants=Variants.of(["utt-past-end-404"]))
    creds = register_client(state, MOCK_ORG)
    with serve(state) as running:
        token = MaskinportenClient(SigningCredential(creds.private_key, kid=creds.kid), client_id=creds.client_id,
                                   issuer=running.issuer, token_url=running.token_url, scopes=[SCOPE]).access_token()
        answer = _get(running, token, "/hendelser", fraSekvensnummer=10**9, antall=5)
    assert answer.status_code == 404 and answer.json()["kode"] == "FA-005"


def test_the_xml_list_is_valid_by_the_published_xsd(served):
    _, running, token = served
    answer = httpx.get(f"{running.origin}/utleggstrekkhendelser/v1/hendelser",
                       params={"fraSekvensnummer": 1, "antall": 20},
                       headers={"Authorization": f"Bearer {token}", "Accept": "application/xml"})
    root = etree.fromstring(answer.content)
    assert root.tag == f"{{{NAMESPACE}}}hendelser" and len(root) == 20
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(root), schema.error_log


def test_one_paging_loop_serves_both_cursors():
    store = EventStore()
    for i in range(10):
        store.add("01017012345", "2023-01", dt.datetime(2023, 1, 1, tzinfo=dt.UTC), gap=1 + i % 3)
    seqs = [e["sekvensnummer"] for e in store.events]
    inclusive = [e["sekvensnummer"] for p in pages(store.page, 1, 3, INCLUSIVE) for e in p.items]
    assert inclusive == seqs
    exclusive = [e["sekvensnummer"] for p in pages(lambda f, a: store.page(f + 1, a), 0, 3, EXCLUSIVE)
                 for e in p.items]
    assert exclusive == seqs
    with pytest.raises(UnexpectedBody):  # a server that does not advance never ends the loop
        list(pages(lambda f, a: store.events[:a], 1, 3, INCLUSIVE))
