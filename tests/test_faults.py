"""Every check is shown to fail on a server that breaks its requirement (one fault switch each).

The correct mock passes every requirement; each fault makes exactly its own requirement fail (or warn,
for recommended ones). A few faults inherently break a second requirement; those are declared here.
"""

from __future__ import annotations

import pytest

from conformance.mock.faults import FAULTS
from conformance.requirements import load_catalogue
from conftest import run_cli

# Faults whose breakage necessarily shows in another requirement too, and why.
ALSO_FAILS = {
    "inclusive-fra": {"TP-PAGE-02"},  # the loop cannot advance when the bound is inclusive
    "list-text-plain": {"TP-LIST-02"},  # schemathesis' content-type conformance sees it too
    "plain-text-errors": {"TP-PAGE-04", "TP-VER-03", "TP-VER-04"},  # they require an error body
}
ALSO_SKIPS = {"plain-text-errors": {"TP-ERR-04"}}  # no error code left to judge
# Faults that break only a named assumption, not the documentation: their requirement warns, naming it (and fails
# with --strict-assumptions, see tests/test_assumptions.py).
ASSUMPTION_ONLY = {"lenient-paging-params": "A-TP-PAGE-400", "ignore-accept": "A-TP-ACCEPT-406"}


def _not_passed(results):
    return {r["id"]: r["status"] for r in results["requirements"] if r["status"] != "passed"}


def test_correct_mock_passes_every_requirement(tmp_path):
    code, results, output = run_cli("run", "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert _not_passed(results) == {}
    assert [r["id"] for r in results["requirements"]] == load_catalogue().ids
    assert results["verdict"] == "passed" and results["target"]["embedded_mock"] is True
    assert results["target"]["credential"] == "generated key (kid)"


def test_every_requirement_with_a_failure_condition_has_a_fault():
    covered = {req for req, _ in FAULTS.values()}
    informational = {r.id for r in load_catalogue().requirements if r.severity == "informational"}
    # TP-OPS-02 judges the suite's own concurrency: proven in test_results.py with a recorded overlap.
    assert set(load_catalogue().ids) - covered - informational == {"TP-OPS-02"}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_fails_exactly_its_requirement(fault, tmp_path):
    requirement = FAULTS[fault][0]
    code, results, output = run_cli("run", "--mock-fault", fault, "--out", str(tmp_path / "out"))
    assert results is not None, output
    severity = load_catalogue().get(requirement).severity
    expected_status = "failed" if severity == "required" and fault not in ASSUMPTION_ONLY else "warning"
    expected = {requirement: expected_status} | {r: "failed" for r in ALSO_FAILS.get(fault, ())} | {
        r: "skipped" for r in ALSO_SKIPS.get(fault, ())}
    assert _not_passed(results) == expected
    assert code == (1 if expected_status == "failed" else 0)
    assert results["target"]["mock_faults"] == [fault]
    if fault in ASSUMPTION_ONLY:
        message = next(c["message"] for c in results["checks"] if requirement in c["requirements"]
                       and c["status"] == "warning")
        assert ASSUMPTION_ONLY[fault] in message
        [entry] = [a for a in results["assumptions"] if a["id"] == ASSUMPTION_ONLY[fault]]
        assert entry["outcome"] == "not_held"
