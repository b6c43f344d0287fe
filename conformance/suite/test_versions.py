"""The version operation: own version, earlier versions, 404 and 400 answers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.api import ApiError
from conformance.suite.support import assert_error, sample


@pytest.mark.requirement("TP-VER-01")
def test_listed_version_is_retrievable_and_identical(sbs_session, liste, check):
    chosen = sample(liste, sbs_session.settings.max_items)
    check.step(f"{len(chosen)} of {len(liste)} item(s), {sbs_session.settings.concurrency} at a time")

    def fetch(item):
        try:
            return item, sbs_session.client.hent_versjon(item["trekkid"], item["trekkversjon"])
        except ApiError as exc:
            return item, exc

    with ThreadPoolExecutor(max_workers=sbs_session.settings.concurrency) as pool:
        for item, got in pool.map(fetch, chosen):
            where = f"trekkid {item['trekkid']} v{item['trekkversjon']}"
            assert not isinstance(got, ApiError), f"{where}: {got}"
            differs = sorted(k for k in set(item) | set(got) if item.get(k) != got.get(k))
            assert not differs, f"{where}: version endpoint differs from the list in {', '.join(differs)}"


@pytest.mark.requirement("TP-VER-02")
def test_earlier_versions_are_consistent(sbs_session, liste, check):
    with_history = [i for i in liste if int(i["trekkversjon"]) > 1]
    if not with_history:
        pytest.skip("no trekkpålegg with more than one version in the test data")
    chosen = sample(with_history, sbs_session.settings.max_items)
    check.step(f"{len(chosen)} trekkpålegg with earlier versions")
    for latest in chosen:
        tid, n = latest["trekkid"], int(latest["trekkversjon"])
        previous_seq = 0
        for v in range(1, n + 1):
            item = latest if v == n else sbs_session.client.hent_versjon(tid, v)
            where = f"trekkid {tid} v{v}"
            assert item.get("trekkid") == tid and item.get("trekkversjon") == v, (
                f"{where}: got trekkid {item.get('trekkid')} trekkversjon {item.get('trekkversjon')}")
            assert item.get("saksnummer") == latest.get("saksnummer"), f"{where}: saksnummer differs from v{n}"
            kid = (item.get("betalingsinformasjon") or {}).get("kidnummer")
            assert kid == (latest.get("betalingsinformasjon") or {}).get("kidnummer"), f"{where}: kidnummer differs"
            assert int(item["sekvensnummer"]) > previous_seq, f"{where}: sekvensnummer does not rise with the version"
            previous_seq = int(item["sekvensnummer"])


@pytest.mark.requirement("TP-VER-03")
def test_unknown_trekkid_and_next_version_give_404(sbs_session, maskinporten_token, liste):
    unknown = f"sbs-unknown-{uuid.uuid4().hex[:12]}"
    assert_error(sbs_session.client.request(f"/{unknown}/1"), (404,), "unknown trekkid")
    item = liste[0]
    nxt = int(item["trekkversjon"]) + 1
    assert_error(sbs_session.client.request(f"/{item['trekkid']}/{nxt}"), (404,),
                 f"trekkid {item['trekkid']} version {nxt} (one above the latest)")


@pytest.mark.requirement("TP-VER-04")
def test_non_numeric_version_gives_400_or_404(sbs_session, liste):
    assert_error(sbs_session.client.request(f"/{liste[0]['trekkid']}/siste"), (400, 404), "non-numeric trekkversjon")
