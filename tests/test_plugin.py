"""The plugin on its own: `pytest --sbs-...` in a vendor's repository, with their own checks in the report."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from conftest import ROOT


def test_vendor_check_runs_with_plugin_fixtures_and_appears_in_results(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests" / "vendor_example"), "-q",
                           "-p", "no:cacheprovider", "--sbs-target", "mock", "--sbs-out", str(tmp_path / "out"),
                           "--rootdir", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    [vendor] = [c for c in results["checks"] if c["requirements"] == ["ACME-01"]]
    assert vendor["status"] == "passed" and vendor["steps"] == ["10 trekkpålegg"]
    # Only the vendor's own check ran: the catalogue's requirements did not, so the verdict says so.
    assert vendor["exchanges"] and "sbs-conformance: INCOMPLETE" in proc.stdout
    [listed] = [r for r in results["requirements"] if r["id"] == "ACME-01"]
    assert listed["status"] == "passed" and listed["severity"] == "required"


def test_plugin_stays_quiet_in_unrelated_runs(tmp_path):
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert 1 + 1 == 2\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and "sbs-conformance" not in proc.stdout
    assert not (tmp_path / "reports").exists()


def test_the_suite_under_xdist_writes_one_report_with_every_workers_evidence(tmp_path):
    """`pytest --pyargs conformance.suite -n 2`: each worker runs its share against its own target session; the
    controller merges their evidence (renumbered) into one report, and leaves nothing else behind."""
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-n", "2", "-q",
                           "-p", "no:cacheprovider", "--sbs-target", "mock", "--sbs-out", str(out), "--sbs-no-pdf"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sbs-conformance: PASSED" in proc.stdout and "error" not in proc.stdout.lower()
    results = json.loads((out / "results.json").read_text())
    assert results["verdict"] == "passed" and len(results["checks"]) >= 28
    seqs = []
    for har in (out / "evidence").glob("*.json"):
        seqs += [e["_seq"] for e in json.loads(har.read_text())["log"]["entries"]]
    assert seqs and len(seqs) == len(set(seqs))  # each exchange once, numbered across both workers
    listed = {x["seq"] for c in results["checks"] for x in c["exchanges"]}
    assert listed <= set(seqs)  # every exchange a check lists is in the evidence under the same number
    assert sorted(p.name for p in out.iterdir()) == ["evidence", "junit.xml", "manifest.json", "report.html",
                                                      "results.json"]
    verify = subprocess.run([sys.executable, "-m", "conformance", "verify", str(out)], capture_output=True,
                            text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout


FREEZE_PROBE = '''
import gc, sys
import pytest

seen = {}

class Probe:
    def pytest_runtest_call(self, item):
        seen[item.name] = gc.get_freeze_count()

rc = pytest.main(sys.argv[1:], plugins=[Probe()])
print("during", seen, "after", gc.get_freeze_count())
'''


def test_a_conformance_run_freezes_what_lived_before_the_checks_and_unfreezes_at_the_end(tmp_path):
    (tmp_path / "test_checks.py").write_text(
        "import pytest\n\n@pytest.mark.requirement('ACME-01')\ndef test_tagged(check):\n    check.step('ok')\n")
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    probe = tmp_path / "probe.py"
    probe.write_text(FREEZE_PROBE)
    tagged = subprocess.run([sys.executable, str(probe), str(tmp_path / "test_checks.py"), "-q", "-p",
                             "no:cacheprovider", "--sbs-target", "mock", "--sbs-out", str(tmp_path / "out"),
                             "--rootdir", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    during, after = tagged.stdout.rsplit("during ", 1)[1].split(" after ")
    assert ast.literal_eval(during)["test_tagged"] > 1000 and int(after) == 0, tagged.stdout + tagged.stderr
    plain = subprocess.run([sys.executable, str(probe), str(tmp_path / "test_plain.py"), "-q", "-p",
                            "no:cacheprovider"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "during {'test_plain': 0} after 0" in plain.stdout, plain.stdout + plain.stderr
