"""Bounded memory: the peak RSS of the paging checks over 100 000 trekkpålegg (embedded mock included, in the same
process), against the same checks over the 19 published examples (the baseline: imports, mock, one session).

Target (issue 9): <= 150 MB. Each measurement is a fresh process; its peak is read from the kernel
(``ru_maxrss`` of the child), so nothing of an earlier measurement is counted.

    python bench/memory_bench.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_MB = 150
ITEMS = 100_000
PROBE = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); sys.exit(p.returncode)")


def peak_mb(args: list[str], out: Path) -> tuple[int, dict]:
    command = [sys.executable, "-m", "conformance", "run", "--quiet", "--no-pdf", "--out", str(out), *args,
               "--", "-k", "paging"]
    proc = subprocess.run([sys.executable, "-c", PROBE, *command], capture_output=True, text=True)
    results = json.loads((out / "results.json").read_text())
    return int(proc.stdout.strip().splitlines()[-1]), results


def measure(tmp: Path) -> tuple[int, int, list[str]]:
    """(peak MB over ITEMS trekkpålegg, peak MB over the 19 examples, the paging checks that did not pass)."""
    base, _ = peak_mb([], tmp / "base")
    large, results = peak_mb(["--org", "314961900", "--mock-size", str(ITEMS), "--max-body", "100M"], tmp / "large")
    return large, base, [c["name"] for c in results["checks"] if c["status"] != "passed"]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        large, base, not_passed = measure(Path(tmp))
    print(f"peak RSS, paging checks: {ITEMS} trekkpålegg {large} MB (target <= {TARGET_MB} MB); "
          f"19 trekkpålegg {base} MB; {large / base:.2f}x the baseline")
    if not_passed:
        print(f"note: {len(not_passed)} check(s) did not pass: {not_passed}")
    print("met" if large <= TARGET_MB else "NOT met")
    return 0 if large <= TARGET_MB and not not_passed else 1


if __name__ == "__main__":
    sys.exit(main())
