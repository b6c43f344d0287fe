"""client-check: the reference client passes every scenario; each buggy client fails its requirement."""

from __future__ import annotations

import json
import sys

import pytest

from conformance.catalogue import load_client_catalogue
from conftest import ROOT, run_cli

REFERENCE = [sys.executable, "-m", "conformance.clientcheck.reference"]
BUGGY = [sys.executable, str(ROOT / "tests" / "buggy_clients.py")]

# bug -> (scenario, requirement that must catch it, its status)
CAUGHT_BY = {
    "stops-after-first-page": ("first-sync", "SBS-PAGE-01", "failed"),
    "watermark-plus-one": ("incremental", "SBS-STATE-01", "failed"),  # the off-by-one loses an item
    "restarts-from-zero": ("incremental", "SBS-PAGE-03", "warning"),
    "grant-per-call": ("first-sync", "SBS-AUTH-02", "failed"),
    "aud-token-url": ("empty", "SBS-AUTH-01", "failed"),
    "no-retry": ("transient-errors", "SBS-ERR-01", "failed"),
    "retries-403-forever": ("fatal-errors", "SBS-ERR-02", "failed"),
    "crashes-on-unknown-field": ("unknown-fields", "SBS-ROB-01", "failed"),
    "ten-parallel-calls": ("slow", "SBS-OPS-01", "failed"),
    "keeps-token-after-401": ("token-expiry", "SBS-AUTH-03", "failed"),
    "first-page-without-fra": ("first-sync", "SBS-PAGE-02", "failed"),
    "watermark-from-request": ("first-sync", "SBS-STATE-02", "failed"),
}


CUSTOMER = "313367002"
SBS_IDS = load_client_catalogue("trekkpaalegg").ids
SYSTEMUSER_REQUIREMENTS = {"SBS-SU-01", "SBS-SU-02", "SBS-SU-03"}
# bug -> (scenario, requirement that must catch it) in systembruker mode
CAUGHT_IN_SYSTEMUSER_MODE = {
    "no-systemuser-details": ("first-sync", "SBS-SU-01"),
    "retries-pending-forever": ("systemuser-pending", "SBS-SU-02"),
    "ignores-external-ref": ("systemuser-external-ref", "SBS-SU-03"),
}


def test_reference_client_passes_every_scenario_and_requirement(tmp_path):
    code, results, output = run_cli("client-check", "--scenario", "all", "--no-pdf", "--out", str(tmp_path / "o"),
                                    "--", *REFERENCE, timeout=600)
    assert code == 0, output
    statuses = {r["id"]: (r["status"], r["applicable"]) for r in results["requirements"]}
    assert statuses == {r: ("not_run", False) if r in SYSTEMUSER_REQUIREMENTS else ("passed", True)
                        for r in SBS_IDS}  # system-user requirements need --systemuser
    assert len(results["target"]["scenarios"]) == 10 and results["verdict"] == "passed"
    assert "(3 not applicable)" in output and "NOT RUN  SBS-SU" not in output
    for name in ("report.html", "junit.xml", "manifest.json"):
        assert (tmp_path / "o" / name).exists()
    assert all(c["evidence"] for c in results["checks"])


def test_reference_client_passes_in_systembruker_mode(tmp_path):
    code, results, output = run_cli("client-check", "--systemuser", CUSTOMER, "--no-pdf", "--lang", "en", "--out",
                                    str(tmp_path / "o"), "--", *REFERENCE, timeout=600)
    assert code == 0, output
    assert {r["id"]: r["status"] for r in results["requirements"]} == {r: "passed" for r in SBS_IDS}
    assert len(results["target"]["scenarios"]) == 12 and results["target"]["systemuser_org"] == CUSTOMER
    assert f"system user of {CUSTOMER}" in output
    # SBS-SU-01 is judged in every scenario; the pending one made the client stop and say why.
    assert {c["name"].split(":")[0] for c in results["checks"] if c["requirements"] == ["SBS-SU-01"]} == set(
        results["target"]["scenarios"])
    pending = next(c for c in results["checks"] if c["requirements"] == ["SBS-SU-02"])
    assert pending["status"] == "passed"


def test_systembruker_token_for_the_vendors_own_organisation(tmp_path):
    # NAV's production set-up: a system user of its own organisation. It used to fail every scenario (MP-303).
    code, results, output = run_cli("client-check", "--systemuser", "310702641", "--scenario", "first-sync",
                                    "--scenario", "systemuser-pending", "--no-pdf", "--out", str(tmp_path / "o"),
                                    "--", *REFERENCE)
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses["SBS-SU-01"] == statuses["SBS-SU-02"] == statuses["SBS-STATE-01"] == "passed", output
    assert code == 5  # SBS-SU-03 and others were not selected: incomplete, nothing failed


@pytest.mark.parametrize("bug", list(CAUGHT_IN_SYSTEMUSER_MODE))
def test_buggy_systembruker_client_is_caught(bug, tmp_path):
    scenario, requirement = CAUGHT_IN_SYSTEMUSER_MODE[bug]
    code, results, output = run_cli("client-check", "--systemuser", CUSTOMER, "--scenario", scenario, "--no-pdf",
                                    "--lang", "en", "--out", str(tmp_path / "o"), "--", *BUGGY, bug)
    assert code == 1, output
    check = next(c for c in results["checks"] if c["requirements"] == [requirement])
    assert check["status"] == "failed" and check["message"], output
    if bug == "retries-pending-forever":
        assert "not approved" in check["message"] and "MP-303" in check["message"]


def test_systemuser_usage_errors(tmp_path):
    code, _, output = run_cli("client-check", "--scenario", "systemuser-pending", "--", *REFERENCE)
    assert code == 2 and "--systemuser" in output
    code, _, output = run_cli("client-check", "--systemuser", "12345", "--", *REFERENCE)
    assert code == 2 and "not a valid organisation number" in output


def test_reference_client_over_tls(tmp_path):
    code, results, output = run_cli("client-check", "--scenario", "first-sync", "--tls", "--no-pdf", "--out",
                                    str(tmp_path / "o"), "--", *REFERENCE)
    assert code == 5, output  # one scenario does not judge every requirement: incomplete
    assert results["verdict"] == "incomplete" and results["target"]["base_url"].startswith("https://127.0.0.1:")
    assert all(r["status"] in ("passed", "not_run") for r in results["requirements"])


def test_every_client_requirement_of_trekkpaalegg_has_a_buggy_client():
    caught = {req for _, req, _ in CAUGHT_BY.values()} | {req for _, req in CAUGHT_IN_SYSTEMUSER_MODE.values()}
    assert caught == set(SBS_IDS)


@pytest.mark.parametrize("bug", list(CAUGHT_BY))
def test_buggy_client_is_caught_by_its_requirement(bug, tmp_path):
    scenario, requirement, status = CAUGHT_BY[bug]
    code, results, output = run_cli("client-check", "--scenario", scenario, "--no-pdf", "--out", str(tmp_path / "o"),
                                    "--", *BUGGY, bug)
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses[requirement] == status, output
    assert code == (1 if status == "failed" else 5)  # a warning and unjudged requirements: incomplete
    message = next(c["message"] for c in results["checks"] if c["requirements"] == [requirement])
    assert message  # the judgement says what was wrong


def test_aud_bug_names_the_rule_broken(tmp_path):
    _, results, _ = run_cli("client-check", "--scenario", "empty", "--no-pdf", "--lang", "en", "--out",
                            str(tmp_path / "o"), "--", *BUGGY, "aud-token-url")
    message = next(c["message"] for c in results["checks"] if c["requirements"] == ["SBS-AUTH-01"])
    assert "rule broken: aud" in message and "MP-110" in message


def test_no_command_and_unknown_scenario_are_usage_errors():
    assert run_cli("client-check", "--scenario", "all")[0] == 2
    code, _, output = run_cli("client-check", "--scenario", "nosuch", "--", "true")
    assert code == 2 and "unknown scenario" in output


def _serve_and_poll(tmp_path, scenario, client, polls):
    """`mock serve --scenario --record`, a client polled `polls` times by hand, then Ctrl-C."""
    import os
    import signal
    import subprocess

    record = tmp_path / "traffic.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "mock", "serve", "--scenario", scenario,
                             "--port", "0", "--record", str(record), "--credentials-dir", str(tmp_path / "creds")],
                            stdout=subprocess.PIPE, text=True)
    env = dict(os.environ, SBS_STATE_FILE=str(tmp_path / "state.json"))
    try:
        for line in proc.stdout:
            if line.startswith("  SBS_"):
                key, _, value = line.strip().partition("=")
                env[key] = value
            if line.startswith("Press Ctrl-C"):
                break
        for _ in range(polls):
            subprocess.run(client, env=env, check=False, capture_output=True, timeout=120)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    return record


def test_hand_polled_system_is_judged_from_its_recording(tmp_path):
    record = _serve_and_poll(tmp_path, "incremental", REFERENCE, polls=2)
    code, results, output = run_cli("client-judge", str(record), "--scenario", "incremental", "--state",
                                    str(tmp_path / "state.json"), "--no-pdf", "--out", str(tmp_path / "o"))
    assert code == 5, output  # one scenario: the others' requirements are not judged
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses["SBS-STATE-01"] == statuses["SBS-PAGE-03"] == statuses["SBS-PAGE-01"] == "passed"


def test_hand_polled_restart_from_zero_is_caught(tmp_path):
    record = _serve_and_poll(tmp_path, "incremental", [*BUGGY, "restarts-from-zero"], polls=2)
    _, results, output = run_cli("client-judge", str(record), "--scenario", "incremental", "--state",
                                 str(tmp_path / "state.json"), "--no-pdf", "--out", str(tmp_path / "o"))
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses["SBS-PAGE-03"] == "warning", output


# -- Trukket kildeskatt på lønn -------------------------------------------------------------------------------------
TKS = "trukketkildeskattpaaloenn"
TKS_CAUGHT_BY = {  # bug -> (scenario, requirement that must catch it)
    "tks-aud-token-url": ("tks-fetch", "TKS-SBS-AUTH-01"),
    "tks-grant-per-call": ("tks-many", "TKS-SBS-AUTH-02"),
    "tks-drops-last-month": ("tks-fetch", "TKS-SBS-GET-01"),
    "tks-crashes-on-404": ("tks-no-data", "TKS-SBS-NODATA-01"),
    "tks-strict-fields": ("tks-unknown-fields", "TKS-SBS-ROB-01"),
    "tks-accepts-csv": ("tks-fetch", "TKS-SBS-FMT-01"),
    "tks-ten-parallel": ("tks-many", "TKS-SBS-OPS-01"),
    "tks-keeps-token-after-401": ("tks-token-expiry", "TKS-SBS-AUTH-03"),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_reference_client_of_trukket_kildeskatt_passes_every_scenario(fmt, tmp_path):
    code, results, output = run_cli("client-check", "--api", TKS, "--no-pdf", "--lang", "en", "--out",
                                    str(tmp_path / "o"), "--", *REFERENCE, env={"SBS_TKS_FORMAT": fmt})
    assert code == 0, output
    assert {r["id"]: r["status"] for r in results["requirements"]} == {
        r: "passed" for r in load_client_catalogue(TKS).ids}
    assert results["profile"] == TKS and results["target"]["api"] == TKS
    assert len(results["target"]["scenarios"]) == 5
    # The client's state was compared with what the mock served, lookup by lookup, in the report's words.
    assert all(c["evidence"] for c in results["checks"])




def test_trukket_kildeskatt_has_no_systembruker_mode():
    code, _, output = run_cli("client-check", "--api", TKS, "--systemuser", "313367002", "--", *REFERENCE)
    assert code == 2 and "system user" in output


# -- Krav og betalinger ---------------------------------------------------------------------------------------
KOB = "kravogbetalinger"
KOB_CAUGHT_BY = {
    "kob-aud-token-url": ("kob-aapne", "KOB-SBS-AUTH-01"),
    "kob-grant-per-call": ("kob-many", "KOB-SBS-AUTH-02"),
    "kob-recomputes-totals": ("kob-aapne", "KOB-SBS-AAPNE-01"),
    "kob-one-long-window": ("kob-three-years", "KOB-SBS-PERIOD-01"),
    "kob-crashes-on-404": ("kob-no-data", "KOB-SBS-NODATA-01"),
    "kob-same-consent-again": ("kob-consent-expired", "KOB-SBS-CONSENT-01"),
    "kob-strict-fields": ("kob-unknown-fields", "KOB-SBS-ROB-01"),
    "kob-ten-parallel": ("kob-many", "KOB-SBS-OPS-01"),
    "kob-keeps-token-after-401": ("kob-token-expiry", "KOB-SBS-AUTH-03"),
}


def test_reference_client_of_krav_og_betalinger_passes_every_scenario(tmp_path):
    code, results, output = run_cli("client-check", "--api", KOB, "--no-pdf", "--lang", "en", "--out",
                                    str(tmp_path / "o"), "--", *REFERENCE)
    assert code == 0, output
    assert {r["id"]: r["status"] for r in results["requirements"]} == {
        r: "passed" for r in load_client_catalogue(KOB).ids}
    assert results["profile"] == KOB and len(results["target"]["scenarios"]) == 7
    # the consent scenario refused the first (expired) consent token; the client fetched a new one, and the
    # authorization code it fetches them with is not in the evidence
    [path] = (tmp_path / "o" / "evidence").glob("*kob-consent-expired*")
    entries = [(e["request"]["url"], e["response"]["status"]) for e in json.loads(path.read_text())["log"]["entries"]]
    fetches = [u for u, _ in entries if "/altinn/api/authorization/token" in u]
    assert [s for u, s in entries if u.endswith("/finans/310702641/aapnekrav")] == [403, 200]
    assert len(fetches) == 2 and all(u.endswith("AuthCode=[REDACTED]") for u in fetches)
    assert all(u.startswith("http://127.0.0.1:") and "/v1/kravogbetalinger/v1/" not in u for u, _ in entries)


UTT = "utleggstrekk"
UTT_CAUGHT_BY = {
    "utt-aud-token-url": ("utt-first-sync", "UTT-SBS-AUTH-01"),
    "utt-grant-per-call": ("utt-slow", "UTT-SBS-AUTH-02"),
    "utt-ignores-start": ("utt-first-sync", "UTT-SBS-START-01"),
    "utt-rereads-last": ("utt-resume", "UTT-SBS-HEND-01"),
    "utt-polls-all-lookups": ("utt-resume", "UTT-SBS-LOOKUP-01"),
    "utt-keeps-deleted": ("utt-resume", "UTT-SBS-DEL-01"),
    "utt-drops-amount": ("utt-first-sync", "UTT-SBS-STATE-01"),
    "utt-strict-fields": ("utt-unknown-fields", "UTT-SBS-ROB-01"),
    "utt-ten-parallel": ("utt-slow", "UTT-SBS-OPS-01"),
    "utt-keeps-token-after-401": ("utt-token-expiry", "UTT-SBS-AUTH-03"),
}
OTHER_APIS = {TKS: TKS_CAUGHT_BY, KOB: KOB_CAUGHT_BY, UTT: UTT_CAUGHT_BY}
API_BUGS = [(api, bug, *caught) for api, caught_by in OTHER_APIS.items() for bug, caught in caught_by.items()]


@pytest.mark.parametrize("api", OTHER_APIS)
def test_every_client_requirement_of_another_api_has_a_buggy_client(api):
    assert {req for _, req in OTHER_APIS[api].values()} == set(load_client_catalogue(api).ids)


def test_reference_consumer_of_the_utleggstrekk_event_list_passes_every_scenario(tmp_path):
    code, results, output = run_cli("client-check", "--api", UTT, "--no-pdf", "--lang", "en", "--out",
                                    str(tmp_path / "o"), "--", *REFERENCE)
    assert code == 0, output
    assert {r["id"]: r["status"] for r in results["requirements"]} == {
        r: "passed" for r in load_client_catalogue(UTT).ids}
    # the resume scenario: two polls, the second read from the first's watermark + 1, with lookups
    [path] = (tmp_path / "o" / "evidence").glob("*utt-resume*")
    urls = [e["request"]["url"] for e in json.loads(path.read_text())["log"]["entries"]]
    assert any("/utleggstrekk/v1/ssb/" in u for u in urls) and sum("/hendelser/start" in u for u in urls) == 1


@pytest.mark.parametrize(("api", "bug", "scenario", "requirement"), API_BUGS, ids=[b[1] for b in API_BUGS])
def test_buggy_client_of_another_api_is_caught(api, bug, scenario, requirement, tmp_path):
    code, results, output = run_cli("client-check", "--api", api, "--scenario", scenario, "--no-pdf", "--out",
                                    str(tmp_path / "o"), "--", *BUGGY, bug)
    assert code == 1, output
    check = next(c for c in results["checks"] if c["requirements"] == [requirement])
    assert check["status"] == "failed" and check["message"], output


def test_krav_og_betalinger_client_in_systembruker_mode_reads_the_customer(tmp_path):
    code, results, output = run_cli("client-check", "--api", KOB, "--systemuser", "313367002", "--scenario",
                                    "kob-aapne", "--no-pdf", "--out", str(tmp_path / "o"), "--", *REFERENCE)
    assert code in (0, 5), output
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses["KOB-SBS-AAPNE-01"] == "passed" and statuses["KOB-SBS-AUTH-01"] == "passed"


def test_a_scenarios_token_and_client_are_refused_by_the_next_scenarios_mock(tmp_path):
    """The scenarios' mocks share their key material (made once per process) but not their clients or issuers."""
    import httpx

    from conformance.clientcheck import contract
    from conformance.clientcheck.runner import scenario_mock
    from conformance.http import NO_RETRY
    from conformance.maskinporten.client import MaskinportenError
    from conformance.profiles.trekkpaalegg import LIST_PATH
    from conformance.profiles.trekkpaalegg.scenarios import SCENARIOS

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    with scenario_mock(SCENARIOS["empty"], tmp_path / "a") as (_, _, first), \
            scenario_mock(SCENARIOS["empty"], tmp_path / "b") as (second_state, _, second):
        assert first["SBS_KID"] != second["SBS_KID"] and first["SBS_CLIENT_ID"] != second["SBS_CLIENT_ID"]
        assert first["SBS_ISSUER"] != second["SBS_ISSUER"]
        token = contract.maskinporten(first, contract.credential(first), NO_RETRY).access_token()
        headers = {"Authorization": f"Bearer {token}"}
        url = second["SBS_BASE_URL"] + LIST_PATH
        answer = httpx.get(url, params={"fraSekvensnummer": 0}, headers=headers)
        assert answer.status_code == 401  # signed by the same key, by another issuer
        stale = {**second, "SBS_CLIENT_ID": first["SBS_CLIENT_ID"], "SBS_KID": first["SBS_KID"]}
        with pytest.raises(MaskinportenError):
            contract.maskinporten(stale, contract.credential(stale), NO_RETRY).access_token()
        assert second_state.maskinporten.tokens_issued == 0
