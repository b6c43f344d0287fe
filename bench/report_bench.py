"""Report benchmark: a run with 10 000 exchanges, and the PDF of a standard run.

Targets (issue 4): HTML for 10 000 exchanges written in < 2 s and < 15 MB; PDF of the standard run in < 3 s.
(The report lists at most 1 000 exchanges per check, plus the failing ones; the rest are in evidence/.)
Each figure is also printed as a ratio to a baseline measured in the same process (writing results.json for
the same model), so machines of different speed can be compared.

    python bench/report_bench.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reportkit import recorded_evidence, result_for

from conformance.outputs import write_evidence, write_run
from conformance.privacy import Pseudonymiser
from conformance.report.html import write_html
from conformance.results import write_json

EXCHANGES = 10_000


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    evidence = recorded_evidence(n_exchanges=EXCHANGES)
    result = result_for(evidence)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pseudo = Pseudonymiser()
        previews = write_evidence(folder, evidence.exchanges, result, pseudo)
        baseline = min(timed(lambda: write_json(result, folder / "results.json")) for _ in range(3))
        html_s = min(timed(lambda: write_html(result, folder / "report.html", previews=previews))
                     for _ in range(3))
        size_mb = (folder / "report.html").stat().st_size / 1e6
        print(f"HTML, {EXCHANGES} exchanges: {html_s:.2f} s (target < 2 s), {size_mb:.1f} MB (target < 15 MB); "
              f"{html_s / baseline:.1f}x the time of writing results.json ({baseline * 1000:.0f} ms)")
        ok = html_s < 2 and size_mb < 15

    standard = recorded_evidence(n_exchanges=60)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        html_only = timed(lambda: write_run(result_for(standard), folder / "h", standard.exchanges,
                                            redactor=standard.redactor, pdf=False))
        with_pdf = timed(lambda: write_run(result_for(standard), folder / "p", standard.exchanges,
                                           redactor=standard.redactor, pdf=True))
        if not (folder / "p" / "report.pdf").exists():
            print("PDF: WeasyPrint unavailable, not measured")
            return 0 if ok else 1
        pdf_s = with_pdf - html_only
        print(f"PDF, standard run: {pdf_s:.2f} s (target < 3 s) on top of {html_only:.2f} s for the other files; "
              f"{with_pdf / html_only:.1f}x the time without PDF")
        ok = ok and pdf_s < 3
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
