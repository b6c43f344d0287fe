"""Paging with fraSekvensnummer (exclusive) and maksAntall (always together), and the loop rule."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.suite.support import assert_error

PAGE_SIZES = (1, 2, 7, 2500)
MAX_PAGES = 20_000


def _keys(items):
    return [(str(i.get("trekkid")), i.get("trekkversjon")) for i in items]


@pytest.mark.requirement("TP-PAGE-01")
def test_first_page_respects_maks_antall(sbs_session, liste):
    for maks in (1, 2):
        page = sbs_session.client.hent_side(0, maks)
        assert len(page) <= maks, f"maksAntall={maks} returned {len(page)} items"
        assert all(int(i["sekvensnummer"]) > 0 for i in page), "an item has sekvensnummer <= 0 from fraSekvensnummer=0"


@pytest.mark.requirement("TP-PAGE-02")
@pytest.mark.parametrize("maks", PAGE_SIZES)
def test_paging_to_completion_equals_unpaged_list(sbs_session, liste, maks, check):
    paged = []
    pages = 0
    for side in sbs_session.client.iter_sider(maks, fra=0, max_pages=MAX_PAGES):
        paged.extend(side.items)
        pages += 1
    check.step(f"{pages} page(s) of at most {maks}")
    counts = Counter(_keys(paged))
    dupes = [k for k, n in counts.items() if n > 1]
    assert not dupes, f"page size {maks}: trekkid {dupes[0][0]} v{dupes[0][1]} came {counts[dupes[0]]} times"
    missing = set(_keys(liste)) - set(counts)
    extra = set(counts) - set(_keys(liste))
    assert not missing, f"page size {maks}: {len(missing)} item(s) of the unpaged list never came, e.g. {min(missing)}"
    assert not extra, f"page size {maks}: {len(extra)} item(s) not in the unpaged list, e.g. {min(extra)}"


@pytest.mark.requirement("TP-PAGE-03")
def test_fra_sekvensnummer_is_exclusive(sbs_session, liste):
    seqs = sorted(int(i["sekvensnummer"]) for i in liste)
    pivot = seqs[len(seqs) // 2]
    above = sbs_session.client.hent_side(pivot, len(seqs) + 10)
    low = [int(i["sekvensnummer"]) for i in above if int(i["sekvensnummer"]) <= pivot]
    assert not low, f"fraSekvensnummer={pivot} returned sekvensnummer {low[0]} (must be greater: exclusive bound)"
    expected = sum(1 for s in seqs if s > pivot)
    assert len(above) == expected, f"fraSekvensnummer={pivot} returned {len(above)} items, expected {expected}"
    beyond = sbs_session.client.hent_side(seqs[-1], 10)
    assert beyond == [], f"from the highest sekvensnummer {seqs[-1]} expected [], got {len(beyond)} item(s)"


INVALID_PARAMS = (
    ("only fraSekvensnummer", {"fraSekvensnummer": "0"}),
    ("only maksAntall", {"maksAntall": "10"}),
    ("maksAntall=0", {"fraSekvensnummer": "0", "maksAntall": "0"}),
    ("negative maksAntall", {"fraSekvensnummer": "0", "maksAntall": "-1"}),
    ("negative fraSekvensnummer", {"fraSekvensnummer": "-1", "maksAntall": "10"}),
    ("non-numeric maksAntall", {"fraSekvensnummer": "0", "maksAntall": "ti"}),
    ("non-numeric fraSekvensnummer", {"fraSekvensnummer": "null", "maksAntall": "10"}),
)


@pytest.mark.requirement("TP-PAGE-04")
def test_invalid_paging_parameters_give_400(sbs_session, maskinporten_token):
    for what, params in INVALID_PARAMS:
        assert_error(sbs_session.client.request(params=params), (400,), what)


@pytest.mark.requirement("TP-PAGE-05")
def test_items_in_ascending_sekvensnummer(sbs_session, liste):
    for side in sbs_session.client.iter_sider(7, fra=0, max_pages=MAX_PAGES):
        seqs = [int(i["sekvensnummer"]) for i in side.items]
        assert seqs == sorted(seqs), f"page from {side.fra} is not in ascending sekvensnummer: {seqs[:7]}"
