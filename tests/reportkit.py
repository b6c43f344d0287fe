"""Builders for report tests: a RunResult with exchanges and evidence, made without a server."""

from __future__ import annotations

import time

import httpx

from conformance.assemble import aggregate
from conformance.catalogue import load_catalogue
from conformance.evidence import Evidence
from conformance.http import send
from conformance.results import CheckResult, RunResult, verdict

FNR = "01818012337"  # synthetic, valid control digits
KONTO = "70213997155"
KID = "6487719756"


def recorded_evidence(n_exchanges: int = 3, planted: dict[str, str] | None = None) -> Evidence:
    """Exchanges recorded through the real hooks; response bodies carry personal data (and plants)."""
    evidence = Evidence()
    planted = planted or {}
    body = [{"trekkid": "10001", "skyldner": FNR, "betalingsinformasjon": {"kontonummer": KONTO, "kidnummer": KID},
             "notat": planted.get("notat", "")}]
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(
        200, json=body, headers={"x-debug": planted.get("header", "-")})))
    for i in range(n_exchanges):
        check = "test_list.py::test_list_is_json_array" if i % 2 else "test_auth.py::test_no_token_gives_401"
        with evidence.check(check):
            send(http, http.build_request("GET", f"https://api.example/api/trekkpaalegg/v1?x={planted.get('url', '')}",
                                          headers={"Authorization": f"Bearer {planted.get('token', 'tok')}"}),
                 evidence)
    return evidence


def result_for(evidence: Evidence, statuses: dict[str, str] | None = None, lang: str = "nb",
               message: str = "expected 401 without token, got 200", complete: bool = False) -> RunResult:
    """Two checks (TP-AUTH-03, TP-LIST-01) with the evidence; ``complete`` adds a passed check for every other
    catalogue requirement, so the verdict is decided by those two alone."""
    statuses = statuses or {"test_auth.py::test_no_token_gives_401": "failed",
                            "test_list.py::test_list_is_json_array": "passed"}
    reqs = {"test_auth.py::test_no_token_gives_401": ["TP-AUTH-03"],
            "test_list.py::test_list_is_json_array": ["TP-LIST-01"]}
    checks = [CheckResult(n, n.split("::")[1], reqs[n], s, message if s == "failed" else "",
                          exchanges=evidence.for_check(n)) for n, s in statuses.items()]
    if complete:
        covered = {r for c in checks for r in c.requirements}
        checks += [CheckResult(f"test_other.py::test_{r}", f"test_{r}", [r], "passed")
                   for r in load_catalogue().ids if r not in covered]
    requirements = aggregate(load_catalogue(), checks, lang, "mock")
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    return RunResult("run12345", now, now, verdict(requirements), lang, "0.1.0",
                     {"kind": "test", "base_url": "https://api-test.sits.no", "token_url": "https://t/token",
                      "issuer": "https://t/", "org": "310702641", "authentication": "alternativ 1",
                      "credential": "registered key (kid)"},
                     {"title": "Trekkpålegg API", "version": "1.4", "sha256": "a" * 64}, requirements, checks,
                     environment={"python": "3.11", "platform": "Linux", "packages": {"httpx": "0.28.1"}},
                     meta={"vendor": "Lønn & Personal AS", "system": "LønnPro", "system_version": "7.2",
                           "contact": "Kari Nordmann"},
                     settings={"target": "test", "org": "310702641"})
