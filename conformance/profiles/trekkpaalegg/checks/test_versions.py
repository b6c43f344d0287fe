"""The version operation: own version, earlier versions, 404 and 400 answers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.apiclient import ApiError
from conformance.outcomes import expect, fail, skip
from conformance.suite.support import ANY_4XX, judge_refusal, sample


@pytest.mark.requirement("TP-VER-01")
def test_listed_version_is_retrievable_and_identical(sbs_session, openapi_schema, liste, check):
    chosen = sample(liste, sbs_session.settings.max_items)
    check.step("tp.ver.sampled", chosen=len(chosen), total=len(liste), parallel=sbs_session.settings.concurrency)

    def fetch(item):
        try:
            return item, sbs_session.client.hent_versjon(item["trekkid"], item["trekkversjon"])
        except ApiError as exc:
            return item, exc

    documented = set(openapi_schema.properties("Trekkpaalegg"))
    unknown: set[str] = set()
    with ThreadPoolExecutor(max_workers=sbs_session.settings.concurrency) as pool:
        for item, got in pool.map(fetch, chosen):
            if isinstance(got, ApiError):
                fail("tp.ver.not_retrievable", trekkid=item["trekkid"], versjon=item["trekkversjon"],
                     cause=got.message)
            differs = sorted(k for k in set(item) | set(got) if item.get(k) != got.get(k))
            known = [k for k in differs if k in documented]
            expect(not known, "tp.ver.differs", trekkid=item["trekkid"], versjon=item["trekkversjon"], fields=known)
            if differs and len(unknown) < 10:  # fields the document does not know: new fields may come
                unknown |= set(differs)
    if unknown:
        check.warn("tp.ver.unknown_differs", fields=sorted(unknown))


@pytest.mark.requirement("TP-VER-02")
def test_earlier_versions_are_consistent(sbs_session, liste, check):
    with_history = liste.where_version_above(1)
    if not with_history:
        skip("tp.ver.no_history")
    chosen = liste.at(sample(with_history, sbs_session.settings.max_items))
    check.step("tp.ver.with_history", count=len(chosen))
    for latest in chosen:
        tid, n = latest["trekkid"], int(latest["trekkversjon"])
        previous_seq = 0
        for v in range(1, n + 1):
            item = latest if v == n else sbs_session.client.hent_versjon(tid, v)
            where = {"trekkid": tid, "versjon": v}
            expect(item.get("trekkid") == tid and item.get("trekkversjon") == v, "tp.ver.wrong_version", **where,
                   got_trekkid=item.get("trekkid"), got_versjon=item.get("trekkversjon"))
            expect(item.get("saksnummer") == latest.get("saksnummer"), "tp.ver.saksnummer", **where, latest=n)
            kid = (item.get("betalingsinformasjon") or {}).get("kidnummer")
            expect(kid == (latest.get("betalingsinformasjon") or {}).get("kidnummer"), "tp.ver.kid", **where)
            expect(int(item["sekvensnummer"]) > previous_seq, "tp.ver.seq_order", **where)
            previous_seq = int(item["sekvensnummer"])


@pytest.mark.requirement("TP-VER-03")
def test_unknown_trekkid_and_next_version_give_404(sbs_session, token, liste, check):
    expected = (404,) if sbs_session.assumed("A-TP-NOT-FOUND-404") == "404" else (400, 404)
    unknown = f"sbs-unknown-{uuid.uuid4().hex[:12]}"
    # A version that does not exist: serving one anyway breaks the documented rule (the answer is the given
    # version, and there is none); which refusal it gets is the assumption.
    judge_refusal(check, sbs_session.client.request(f"/{unknown}/1"), what="tp.ver.what_unknown",
                  assumption="A-TP-NOT-FOUND-404", expected=expected)
    item = liste[0]
    nxt = int(item["trekkversjon"]) + 1
    judge_refusal(check, sbs_session.client.request(f"/{item['trekkid']}/{nxt}"), what="tp.ver.what_next",
                  assumption="A-TP-NOT-FOUND-404", expected=expected)


@pytest.mark.requirement("TP-VER-04")
def test_non_numeric_version_gives_400_or_404(sbs_session, liste, check):
    expected = (400, 404) if sbs_session.assumed("A-TP-VERSION-400-OR-404") == "400-or-404" else ANY_4XX
    judge_refusal(check, sbs_session.client.request(f"/{liste[0]['trekkid']}/siste"), what="tp.ver.what_non_numeric",
                  assumption="A-TP-VERSION-400-OR-404", expected=expected)
