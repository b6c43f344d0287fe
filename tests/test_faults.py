"""Every check is shown to fail on a server that breaks its requirement (one fault switch each).

The correct mock passes every requirement; each fault makes exactly its own requirement fail (or warn,
for recommended ones). A few faults inherently break a second requirement; those are declared here.
"""

from __future__ import annotations

import pytest

from conformance.catalogue import load_catalogue
from conformance.mock.faults import faults_of
from conformance.profiles import profiles
from conftest import run_cli

# Every fault of every API: the gate's (for each API's common requirement) and the API's own.
CASES = [(p.name, fault) for p in profiles() for fault in faults_of(p)]
# Faults whose breakage necessarily shows in another requirement too, and why.
ALSO_FAILS = {
    ("trekkpaalegg", "inclusive-fra"): {"TP-PAGE-02"},  # the loop cannot advance when the bound is inclusive
    ("trekkpaalegg", "list-text-plain"): {"TP-LIST-02"},  # Spec.response_problems: an undocumented media type
    ("trekkpaalegg", "plain-text-errors"): {"TP-PAGE-04", "TP-VER-03", "TP-VER-04"},  # they require an error body
    ("trukketkildeskattpaaloenn", "plain-text-errors"): {"TKS-NODATA-01", "TKS-VAL-01", "TKS-RP-01"},  # the same
    ("trukketkildeskattpaaloenn", "wrong-error-codes"): {"TKS-NODATA-01"},  # it judges the -007/-009 codes too
    ("kravogbetalinger", "plain-text-errors"): {"KOB-PERIOD-01", "KOB-NODATA-01", "KOB-CONSENT-01", "KOB-SU-01"},
    ("kravogbetalinger", "wrong-error-codes"): {"KOB-NODATA-01"},  # the same
    ("utleggstrekk", "plain-text-errors"): {"UTT-HEND-04", "UTT-LOOKUP-02", "UTT-LOOKUP-03"},  # the same
    ("utleggstrekk", "wrong-error-codes"): {"UTT-LOOKUP-03"},  # it judges the lookup's -007/-009 too
    ("utleggstrekk", "utt-event-without-identifikator"): {"UTT-HEND-05"},  # the JSON list then differs from XML
}
ALSO_SKIPS = {("trekkpaalegg", "plain-text-errors"): {"TP-ERR-04"},  # no error code left to judge
              ("trukketkildeskattpaaloenn", "plain-text-errors"): {"TKS-ERR-04"},
              ("kravogbetalinger", "plain-text-errors"): {"KOB-ERR-04"},
              ("utleggstrekk", "plain-text-errors"): {"UTT-ERR-04"}}
# Faults that break only a named assumption, not the documentation: their requirement warns, naming it (and fails
# with --strict-assumptions, see tests/test_assumptions.py).
ASSUMPTION_ONLY = {("trekkpaalegg", "lenient-paging-params"): "A-TP-PAGE-400",
                   ("trekkpaalegg", "ignore-accept"): "A-TP-ACCEPT-406"}


def _not_passed(results):
    return {r["id"]: r["status"] for r in results["requirements"] if r["status"] != "passed"}


@pytest.mark.parametrize("api", [p.name for p in profiles()])
def test_correct_mock_passes_every_requirement(api, tmp_path):
    code, results, output = run_cli("run", "--api", api, "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert _not_passed(results) == {}
    assert [r["id"] for r in results["requirements"]] == load_catalogue(api).ids
    assert results["verdict"] == "passed" and results["target"]["embedded_mock"] is True
    assert results["target"]["credential"] == "generated key (kid)"


@pytest.mark.parametrize("api", [p.name for p in profiles()])
def test_every_requirement_with_a_failure_condition_has_a_fault(api):
    from conformance.profiles import get

    profile = get(api)
    covered = set(faults_of(profile).values())
    catalogue = load_catalogue(api)
    informational = {r.id for r in catalogue.requirements if r.severity == "informational"}
    # OPS-02 judges the suite's own concurrency: proven in test_results.py with a recorded overlap.
    assert set(catalogue.ids) - covered - informational == {profile.requirement("OPS-02")}


@pytest.mark.parametrize(("api", "fault"), CASES, ids=[f"{a}:{f}" for a, f in CASES])
def test_fault_fails_exactly_its_requirement(api, fault, tmp_path):
    from conformance.profiles import get

    requirement = faults_of(get(api))[fault]
    code, results, output = run_cli("run", "--api", api, "--mock-fault", fault, "--no-pdf", "--out",
                                    str(tmp_path / "out"))  # the PDF is judged in test_report_pdf.py
    assert results is not None, output
    severity = load_catalogue(api).get(requirement).severity
    case = (api, fault)
    expected_status = "failed" if severity == "required" and case not in ASSUMPTION_ONLY else "warning"
    expected = {requirement: expected_status} | {r: "failed" for r in ALSO_FAILS.get(case, ())} | {
        r: "skipped" for r in ALSO_SKIPS.get(case, ())}
    assert _not_passed(results) == expected, output
    assert code == (1 if expected_status == "failed" else 0)
    assert results["target"]["mock_faults"] == [fault]
    fault = case
    if fault in ASSUMPTION_ONLY:
        message = next(c["message"] for c in results["checks"] if requirement in c["requirements"]
                       and c["status"] == "warning")
        assert ASSUMPTION_ONLY[fault] in message
        [entry] = [a for a in results["assumptions"] if a["id"] == ASSUMPTION_ONLY[fault]]
        assert entry["outcome"] == "not_held"
