"""Paging with fraSekvensnummer (exclusive) and maksAntall (always together), and the loop rule."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.outcomes import expect
from conformance.suite.support import assert_error

PAGE_SIZES = (1, 2, 7, 2500)
MAX_PAGES = 20_000


def _keys(items):
    return [(str(i.get("trekkid")), i.get("trekkversjon")) for i in items]


@pytest.mark.requirement("TP-PAGE-01")
def test_first_page_respects_maks_antall(sbs_session, liste):
    for maks in (1, 2):
        page = sbs_session.client.hent_side(0, maks)
        expect(len(page) <= maks, "tp.page.too_many", maks=maks, got=len(page))
        expect(all(int(i["sekvensnummer"]) > 0 for i in page), "tp.page.seq_not_positive")


@pytest.mark.requirement("TP-PAGE-02")
@pytest.mark.parametrize("maks", PAGE_SIZES)
def test_paging_to_completion_equals_unpaged_list(sbs_session, liste, maks, check):
    paged = []
    pages = 0
    for side in sbs_session.client.iter_sider(maks, fra=0, max_pages=MAX_PAGES, expected_items=len(liste)):
        paged.extend(_keys(side.items))
        pages += 1
    check.step("tp.page.pages", pages=pages, maks=maks)
    counts = Counter(paged)
    dupes = [k for k, n in counts.items() if n > 1]
    expect(not dupes, "tp.page.duplicate", maks=maks, trekkid=dupes[0][0] if dupes else "",
           versjon=dupes[0][1] if dupes else "", times=counts[dupes[0]] if dupes else 0)
    missing = set(_keys(liste)) - set(counts)
    extra = set(counts) - set(_keys(liste))
    expect(not missing, "tp.page.missing", maks=maks, count=len(missing), example=str(min(missing)) if missing else "")
    expect(not extra, "tp.page.extra", maks=maks, count=len(extra), example=str(min(extra)) if extra else "")


@pytest.mark.requirement("TP-PAGE-03")
def test_fra_sekvensnummer_is_exclusive(sbs_session, liste):
    seqs = sorted(int(i["sekvensnummer"]) for i in liste)
    pivot = seqs[len(seqs) // 2]
    above = sbs_session.client.hent_side(pivot, len(seqs) + 10)
    low = [int(i["sekvensnummer"]) for i in above if int(i["sekvensnummer"]) <= pivot]
    expect(not low, "tp.page.not_exclusive", pivot=pivot, seq=low[0] if low else "")
    expected = sum(1 for s in seqs if s > pivot)
    expect(len(above) == expected, "tp.page.count_above", pivot=pivot, got=len(above), expected=expected)
    beyond = sbs_session.client.hent_side(seqs[-1], 10)
    expect(beyond == [], "tp.page.beyond_end", highest=seqs[-1], got=len(beyond))


INVALID_PARAMS = (
    ("tp.page.only_fra", {"fraSekvensnummer": "0"}),
    ("tp.page.only_maks", {"maksAntall": "10"}),
    ("tp.page.maks_zero", {"fraSekvensnummer": "0", "maksAntall": "0"}),
    ("tp.page.maks_negative", {"fraSekvensnummer": "0", "maksAntall": "-1"}),
    ("tp.page.fra_negative", {"fraSekvensnummer": "-1", "maksAntall": "10"}),
    ("tp.page.maks_text", {"fraSekvensnummer": "0", "maksAntall": "ti"}),
    ("tp.page.fra_text", {"fraSekvensnummer": "null", "maksAntall": "10"}),
)


@pytest.mark.requirement("TP-PAGE-04")
def test_invalid_paging_parameters_give_400(sbs_session, token):
    for what, params in INVALID_PARAMS:
        assert_error(sbs_session.client.request(params=params), (400,), what)


@pytest.mark.requirement("TP-PAGE-05")
def test_items_in_ascending_sekvensnummer(sbs_session, liste):
    for side in sbs_session.client.iter_sider(7, fra=0, max_pages=MAX_PAGES, expected_items=len(liste)):
        seqs = [int(i["sekvensnummer"]) for i in side.items]
        expect(seqs == sorted(seqs), "tp.page.unordered", fra=side.fra, seqs=seqs[:7])
