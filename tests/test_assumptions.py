"""No false failures of a documented server, and every assumption named: documented variations pass, a server
that differs only from an assumption gets a warning naming it, --assume changes what is expected, and
--strict-assumptions makes it a failure again."""

from __future__ import annotations

import pytest

from conformance.assumptions import load_register
from conformance.errors import ConfigError
from conformance.mock.variants import variants_of
from conformance.profiles import profiles
from conftest import run_cli

# (api, variant) for every API: the gate's variants and the API's own
PASSES = [(p.name, v) for p in profiles() for v, (kind, _, _) in variants_of(p).items() if kind == "passes"]
ASSUMED = {(p.name, v): a for p in profiles() for v, (kind, _, a) in variants_of(p).items() if kind == "assumption"}
# The value of the assumption under which the variant is what is expected.
AS_EXPECTED = {"A-TP-EMPTY-BODY": "empty-or-list", "A-TP-AUTH-STATUS": "as-worded-in-feil", "A-TP-ERROR-PREFIX": "TP",
               "A-TKS-AUTH-STATUS": "as-worded-in-feil", "A-TKS-ORDER": "any", "A-TKS-YEAR-NUMBER": "number-or-string",
               "A-KOB-AUTH-STATUS": "as-worded-in-feil", "A-KOB-NODATA-404": "404-or-empty-200",
               "A-KOB-PILOT-OWN-ONLY": "any-test-party", "A-UTT-AUTH-STATUS": "as-worded-in-feil"}


def _statuses(results):
    return {r["id"]: r["status"] for r in results["requirements"]}


@pytest.mark.parametrize(("api", "variant"), PASSES, ids=[f"{a}:{v}" for a, v in PASSES])
def test_a_documented_variation_passes(api, variant, tmp_path):
    code, results, output = run_cli("run", "--api", api, "--mock-variant", variant, "--no-pdf", "--lang", "en",
                                    "--out", str(tmp_path / "o"))
    assert code == 0 and results["verdict"] == "passed", output
    assert set(_statuses(results).values()) <= {"passed", "warning"}


@pytest.mark.parametrize(("api", "variant"), list(ASSUMED), ids=[f"{a}:{v}" for a, v in ASSUMED])
def test_a_server_differing_from_an_assumption_warns_and_passes_when_assumed(api, variant, tmp_path):
    assumption = ASSUMED[(api, variant)]
    code, results, output = run_cli("run", "--api", api, "--mock-variant", variant, "--no-pdf", "--lang", "en",
                                    "--out", str(tmp_path / "a"))
    assert code == 0, output
    warned = [c for c in results["checks"] if c["status"] == "warning"]
    assert warned and all(assumption in c["message"] for c in warned)
    assert "not from the documentation" in warned[0]["message"]
    assert next(a for a in results["assumptions"] if a["id"] == assumption)["outcome"] == "not_held"
    code, results, output = run_cli("run", "--api", api, "--mock-variant", variant, "--assume",
                                    f"{assumption}={AS_EXPECTED[assumption]}", "--no-pdf", "--out", str(tmp_path / "b"))
    assert code == 0 and set(_statuses(results).values()) == {"passed"}, output
    entry = next(a for a in results["assumptions"] if a["id"] == assumption)
    assert entry["value"] == AS_EXPECTED[assumption] and entry["outcome"] == "held"


def test_strict_assumptions_makes_it_a_failure(tmp_path):
    code, results, output = run_cli("run", "--mock-fault", "lenient-paging-params", "--strict-assumptions",
                                    "--no-pdf", "--out", str(tmp_path / "o"))
    assert code == 1 and _statuses(results)["TP-PAGE-04"] == "failed", output


def test_the_register_is_in_results_and_report(tmp_path):
    code, results, output = run_cli("run", "--no-pdf", "--out", str(tmp_path / "o"))
    assert code == 0, output
    register = results["assumptions"]
    assert len(register) >= 10 and [a["id"] for a in register] == load_register().ids
    for entry in register:
        assert {"id", "title", "value", "reason", "requirements", "outcome", "observed"} <= set(entry)
    by_id = {a["id"]: a for a in register}
    assert by_id["A-TP-PAGE-400"]["outcome"] == "held" and by_id["A-TP-PAGE-400"]["observed"] == ["400"]
    assert by_id["A-TP-PROD-URL"]["outcome"] == "not_observed"
    html = (tmp_path / "o" / "report.html").read_text()
    assert 'id="assumptions"' in html and "Forutsetninger" in html and "A-TP-AUTH-STATUS" in html
    run_cli("report", str(tmp_path / "o"), "--lang", "en", "--no-pdf")
    english = (tmp_path / "o" / "report.html").read_text()
    assert "Assumptions" in english and "Invalid paging parameters get 400" in english


def test_assume_from_the_config_file_and_bad_values(tmp_path):
    config = tmp_path / "sbs.toml"
    config.write_text('[assume]\nA-TP-EMPTY-BODY = "empty-or-list"\n')
    code, results, output = run_cli("run", "--config", str(config), "--mock-variant", "empty-body", "--no-pdf",
                                    "--out", str(tmp_path / "o"))
    assert code == 0 and _statuses(results)["TP-EMPTY-01"] == "passed", output
    for bad, message in (("A-TP-EMPTY-BODDY=x", "did you mean 'A-TP-EMPTY-BODY'"),
                         ("A-TP-EMPTY-BODY=maybe", "use one of [], empty-or-list"), ("nonsense", "not ID=VALUE")):
        code, _, output = run_cli("run", "--assume", bad, "--no-pdf")
        assert code == 2 and message in output, output
    with pytest.raises(ConfigError):
        load_register().resolve({"A-TP-PAGE-400": "500"})
