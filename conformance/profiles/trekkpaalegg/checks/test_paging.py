"""Paging with fraSekvensnummer (exclusive) and maksAntall (always together), and the loop rule.

Paging to completion is checked in full where it takes at most :data:`PAGE_BUDGET` pages; a long list at a small
page size is paged over a window at its start and one at its end instead (the loop's beginning, its end and the
short last page), and the whole list is compared at the large page size.
"""

from __future__ import annotations

import pytest

from conformance.outcomes import expect
from conformance.suite.support import ANY_4XX, judge_refusal

PAGE_SIZES = (1, 2, 7, 2500)
PAGE_BUDGET = 500  # pages per page size; more and the check pages a window at each end


class _Tally:
    """What paging delivered, against the unpaged list: one byte per item of the list, so a list of any length
    is compared in little memory."""

    def __init__(self, liste) -> None:
        self.liste = liste
        self.seen = bytearray(len(liste))
        self.duplicate = None  # the first key that came twice
        self.extra, self.first_extra = 0, None

    def add(self, items) -> None:
        for item in items:
            key = (str(item.get("trekkid")), item.get("trekkversjon"))
            index = self.liste.index_of(key)
            if index is None:
                self.extra, self.first_extra = self.extra + 1, self.first_extra or key
            elif self.seen[index]:
                self.duplicate = self.duplicate or key
            else:
                self.seen[index] = 1

    def missing(self, indices) -> list[int]:
        return [i for i in indices if not self.seen[i]]


def _page(client, maks, fra, expected, tally, max_pages=None):
    pages = 0
    for side in client.iter_sider(maks, fra=fra, max_pages=max_pages, expected_items=expected):
        tally.add(side.items)
        pages += 1
    return pages


@pytest.mark.requirement("TP-PAGE-01")
def test_first_page_respects_maks_antall(sbs_session, liste):
    for maks in (1, 2):
        page = sbs_session.client.hent_side(0, maks)
        expect(len(page) <= maks, "tp.page.too_many", maks=maks, got=len(page))
        expect(all(int(i["sekvensnummer"]) > 0 for i in page), "tp.page.seq_not_positive")


@pytest.mark.requirement("TP-PAGE-02")
@pytest.mark.parametrize("maks", PAGE_SIZES)
def test_paging_to_completion_equals_unpaged_list(sbs_session, liste, maks, check):
    n = len(liste)
    tally = _Tally(liste)
    if n // maks + 1 <= PAGE_BUDGET:
        pages = _page(sbs_session.client, maks, 0, n, tally)
        expected = range(n)
        check.step("tp.page.pages", pages=pages, maks=maks)
    else:  # a window at each end: the first and the last `half` pages' worth of items
        order = liste.in_seq_order()  # the order the pages must follow
        half = PAGE_BUDGET // 2 * maks
        pages = _page(sbs_session.client, maks, 0, n, tally, max_pages=PAGE_BUDGET // 2)
        start = liste.seq(order[-half - 1]) or 0  # exclusive: the pages from here hold exactly the last `half`
        pages += _page(sbs_session.client, maks, start, half, tally)
        expected = order[:half] + order[-half:]
        check.step("tp.page.windows", count=n, front=half, tail=half, maks=maks, pages=pages)
    dupe = tally.duplicate
    expect(dupe is None, "tp.page.duplicate", maks=maks, trekkid=dupe[0] if dupe else "",
           versjon=dupe[1] if dupe else "")
    missing = tally.missing(expected)
    expect(not missing, "tp.page.missing", maks=maks, count=len(missing),
           example=str(liste.key(min(missing, key=liste.key))) if missing else "")
    expect(not tally.extra, "tp.page.extra", maks=maks, count=tally.extra, example=str(tally.first_extra or ""))


@pytest.mark.requirement("TP-PAGE-03")
def test_fra_sekvensnummer_is_exclusive(sbs_session, liste):
    seqs = sorted(s for s in liste.seqs if s is not None)
    pivot = seqs[len(seqs) // 2]
    above = [s for s in seqs if s > pivot]
    page = sbs_session.client.hent_side(pivot, 10)
    got = [int(i["sekvensnummer"]) for i in page]
    low = [s for s in got if s <= pivot]
    expect(not low, "tp.page.not_exclusive", pivot=pivot, seq=low[0] if low else "")
    # The page holds exactly the next items after the pivot (in whatever order: that is TP-PAGE-05's).
    expect(sorted(got) == above[:10], "tp.page.count_above", pivot=pivot, got=len(got), expected=min(10, len(above)))
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
def test_invalid_paging_parameters_give_400(sbs_session, token, check):
    expected = (400,) if sbs_session.assumed("A-TP-PAGE-400") == "400" else ANY_4XX
    for what, params in INVALID_PARAMS:  # what the answer is, is undocumented: A-TP-PAGE-400
        judge_refusal(check, sbs_session.client.request(params=params), what=what, assumption="A-TP-PAGE-400",
                      expected=expected, served_is_assumption=True)


@pytest.mark.requirement("TP-PAGE-05")
def test_items_in_ascending_sekvensnummer(sbs_session, liste, check):
    ordered = sbs_session.assumed("A-TP-ORDER") == "ascending"
    for side in sbs_session.client.iter_sider(7, fra=0, max_pages=PAGE_BUDGET, expected_items=len(liste)):
        seqs = [int(i["sekvensnummer"]) for i in side.items]
        check.expect_assumed("A-TP-ORDER", not ordered or seqs == sorted(seqs),
                             "ascending" if seqs == sorted(seqs) else "not ascending", "tp.page.unordered",
                             fra=side.fra, seqs=seqs[:7])
