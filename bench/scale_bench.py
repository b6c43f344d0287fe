"""Cost linear in the data: the CPU of a whole run at ``--mock-size 1000`` against the same run at 100.

The run reads the generated organisation (``--org 314961900``), so every check, the pseudonymiser and the leak
scan see ten times more personal data in the larger run. Target (issue 9): ratio <= 12 (a linear run is about
where the fixed cost of start-up, imports and the PDF leaves it; the quadratic leak scan gave 31). Rounds
alternate between the sizes, and the medians of each size's CPU (user + system of the child process) are
compared, so a busy moment of the machine hits both alike.

    python bench/scale_bench.py [ROUNDS]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = (100, 1000)
TARGET = 12.0


def cpu_of_run(size: int, folder: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--quiet", "--org", "314961900",
                           "--mock-size", str(size), "--out", str(folder / f"run-{size}-{os.urandom(4).hex()}")],
                          capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"the run at --mock-size {size} ended with {proc.returncode}: {proc.stdout[-400:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    cpu: dict[int, list[float]] = {size: [] for size in SIZES}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(rounds):
            for size in SIZES if n % 2 == 0 else reversed(SIZES):
                cpu[size].append(cpu_of_run(size, Path(tmp)))
    small, large = (statistics.median(cpu[s]) for s in SIZES)
    ratio = large / small
    print(f"CPU of a run, median of {rounds}: --mock-size {SIZES[0]} {small:.2f} s, --mock-size {SIZES[1]} "
          f"{large:.2f} s")
    print(f"ratio {ratio:.1f} (target <= {TARGET:g}): {'met' if ratio <= TARGET else 'NOT met'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
