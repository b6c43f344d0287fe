"""What a developer sees on the terminal: one line per requirement as it completes, no pytest dots or summary,
colours only on a terminal, waived shown as waived, --quiet keeps the verdict block only."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

from conftest import run_cli

LINE = re.compile(r"^\[\s*(\d+)/(\d+)\]\s+\d+\.\ds\s+(PASSED|FAILED|WARNING|ERROR|SKIPPED|NOT RUN|WAIVED)\s+"
                  r"(TP-[A-Z]+-\d\d)\s+\S")


def test_one_plain_line_per_requirement_and_no_pytest_output(tmp_path):
    code, results, output = run_cli("run", "--mock-fault", "unordered-pages", "--no-pdf", "--out", str(tmp_path / "o"))
    assert code == 0, output
    lines = [m for ln in output.splitlines() if (m := LINE.match(ln))]
    assert [int(m.group(1)) for m in lines] == list(range(1, 29)) and {m.group(2) for m in lines} == {"28"}
    assert sorted(m.group(4) for m in lines) == sorted(r["id"] for r in results["requirements"])
    status = {m.group(4): m.group(3) for m in lines}
    assert status["TP-PAGE-05"] == "WARNING" and status["TP-AUTH-01"] == "PASSED"
    assert "\x1b[" not in output  # no colours when the output is not a terminal
    assert not re.search(r"^\.+\s*(\[\s*\d+%\])?$", output, re.M)  # no pytest dots
    assert not re.search(r"\d+ (passed|failed).* in [0-9.]+s", output)  # no pytest summary to disagree with us
    assert "Verdict: PASSED" in output


def test_quiet_prints_only_the_verdict_block(tmp_path):
    code, _, output = run_cli("run", "--quiet", "--no-pdf", "--out", str(tmp_path / "o"))
    assert code == 0 and not any(LINE.match(ln) for ln in output.splitlines())
    assert output.strip().startswith("Verdict: PASSED") and "Report:" in output


def test_a_waived_failure_shows_as_waived(tmp_path):
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - {id: TP-ERR-02, reason: Rettes i 7.3, expires: 2099-12-31, "
                       "approved_by: Kari}\n")
    code, _, output = run_cli("run", "--mock-fault", "ignore-accept", "--waivers", str(waivers), "--no-pdf",
                              "--out", str(tmp_path / "o"))
    assert code == 0, output  # the only failure is waived
    assert any((m := LINE.match(ln)) and m.group(4) == "TP-ERR-02" and m.group(3) == "WAIVED"
               for ln in output.splitlines())
    assert "WAIVED   TP-ERR-02" in output[output.index("Verdict:"):]


def test_colours_on_a_terminal(tmp_path):
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI", "PY_COLORS")}
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--no-pdf", "--out", str(tmp_path / "o"),
                             "--", "-k", "auth"], stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    proc.wait(60)
    os.close(controller)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 5, text  # a selection: incomplete
    assert "\x1b[32m" in text and "PASSED" in text  # green status words
