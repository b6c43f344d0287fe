"""Error handling: unknown path, unsupported Accept, error bodies and their codes."""

from __future__ import annotations

import pytest

from conformance.errorcodes import documented_statuses
from conformance.suite.support import error_body_problems


@pytest.mark.requirement("TP-ERR-01")
def test_unknown_path_gives_404(sbs_session, maskinporten_token):
    response = sbs_session.client.request("/finnes-ikke/1/2")
    assert response.status_code == 404, f"expected 404 for an unknown path, got {response.status_code}"


@pytest.mark.requirement("TP-ERR-02")
def test_unsupported_accept_gives_406(sbs_session, maskinporten_token):
    response = sbs_session.client.request(headers={"Accept": "application/xml"})
    assert response.status_code == 406, f"expected 406 for Accept: application/xml, got {response.status_code}"


@pytest.fixture(scope="session")
def error_samples(sbs_session, maskinporten_token):
    """One response per error situation, made once for TP-ERR-03 and TP-ERR-04."""
    c = sbs_session.client
    samples = {
        "400 only maksAntall": c.request(params={"maksAntall": "5"}),
        "404 unknown trekkid": c.request("/sbs-finnes-ikke/1"),
        "404 unknown path": c.request("/finnes-ikke/1/2"),
        "406 Accept application/xml": c.request(headers={"Accept": "application/xml"}),
        "401 no token": c.request(token=None),
        "401 invalid token": c.request(token="ugyldig.token.verdi"),
    }
    if sbs_session.other_scope:
        samples["403 other scope"] = c.request(token=sbs_session.maskinporten(scope=sbs_session.other_scope)
                                               .access_token())
    return samples


@pytest.mark.requirement("TP-ERR-03")
def test_error_bodies_have_documented_shape(error_samples, check):
    service, gateway = [], []
    ids = []
    for what, response in error_samples.items():
        if response.status_code < 400:
            continue  # not an error answer: the status is judged by the requirement for that situation
        problems = error_body_problems(response)
        (gateway if response.status_code in (401, 403) else service).extend(f"{what}: {p}" for p in problems)
        if not problems:
            ids.append((what, response.json()["korrelasjonsid"]))
    for problem in gateway:
        check.warn(f"(recommended for 401/403) {problem}")
    assert not service, "; ".join(service[:4])
    seen: dict[str, str] = {}
    for what, kid in ids:
        assert kid not in seen, f"korrelasjonsid {kid} is reused ({seen[kid]} and {what}); it must be unique per call"
        seen[kid] = what


@pytest.mark.requirement("TP-ERR-04")
def test_error_codes_match_documented_status(error_samples):
    judged, wrong = 0, []
    for what, response in error_samples.items():
        if response.status_code < 400:
            continue
        try:
            kode = response.json().get("kode")
        except (ValueError, AttributeError):
            continue
        if not isinstance(kode, str):
            continue
        statuses = documented_statuses(kode)
        if statuses is None:
            continue  # shape problems are TP-ERR-03's; unknown numbers cannot be judged
        judged += 1
        if response.status_code not in statuses:
            wrong.append(f"{what}: kode {kode} is documented for HTTP {statuses[0]}, came with {response.status_code}")
    if not judged:
        pytest.skip("no error body carried a documented code to judge (see TP-ERR-03)")
    assert not wrong, "; ".join(wrong)
