"""--rerun-failed re-runs only what failed and merges; diff and --baseline show what changed."""

from __future__ import annotations

import json

from conftest import run_cli


def test_rerun_merges_earlier_results_and_diff_shows_the_change(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    code, before, output = run_cli("run", "--mock-fault", "version-body-differs", "--no-pdf", "--out", str(first))
    assert code == 1 and before["verdict"] == "failed", output
    failed = [c["nodeid"] for c in before["checks"] if c["status"] == "failed"]
    code, after, output = run_cli("run", "--rerun-failed", str(first), "--baseline", str(first), "--no-pdf",
                                  "--out", str(second))
    assert code == 0, output
    rerun = [c for c in after["checks"] if c["run_id"] is None]
    carried = [c for c in after["checks"] if c["run_id"] == before["run_id"]]
    assert [c["nodeid"] for c in rerun] == failed
    assert len(carried) == len(before["checks"]) - len(failed)
    assert all((second / c["evidence"]).is_file() for c in carried if c["evidence"])
    assert after["merged_from"] == [before["run_id"]] and after["verdict"] == "passed"
    assert after["baseline"]["changes"] == [{"id": "TP-VER-01", "old": "failed", "new": "passed", "trend": "better"}]
    code, _, output = run_cli("diff", str(first), str(second))
    assert code == 0 and "TP-VER-01" in output and "failed -> passed" in output
    assert json.loads((second / "manifest.json").read_text())["run_id"] == after["run_id"]
