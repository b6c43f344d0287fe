"""Ctrl-C and SIGTERM: the report of what finished is written and marked, what did not finish is `not_run`,
and nothing a vendor's command started outlives the run."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.preflight import default_out

SLOW_CHECK = Path(__file__).parent / "interrupt_example" / "test_slow_check.py"


@pytest.mark.parametrize("signum, code, kind", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_writes_a_partial_marked_report(tmp_path, signum, code, kind):
    """The bundled auth checks run, then a vendor's check that is in flight when the signal comes."""
    out, marker = tmp_path / "out", tmp_path / "running"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--out", str(out), "--no-pdf", "--lang",
                             "en", "--", "-k", "auth or slow_vendor", str(SLOW_CHECK)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "SBS_TEST_MARKER": str(marker)})
    while not marker.exists():  # the slow check made its call and is now running
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.02)
    proc.send_signal(signum)
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == code, output
    results = json.loads((out / "results.json").read_text())
    status = {r["id"]: r for r in results["requirements"]}
    assert results["verdict"] == "interrupted" and results["interruption"]["kind"] == kind
    assert all(status[f"TP-AUTH-0{n}"]["status"] == "passed" for n in range(1, 7))
    [slow] = [c for c in results["checks"] if c["requirements"] == ["ACME-SLOW"]]
    assert slow["status"] == "not_run" and "did not finish" in slow["message"]  # in flight: never passed
    assert status["ACME-SLOW"]["status"] == "not_run"
    assert {"ACME-SLOW", "TP-LIST-01"} <= set(results["interruption"]["not_run"])
    html = (out / "report.html").read_text()
    assert 'id="interruption"' in html and 'id="problem-interruption"' in html and "Interrupted" in html
    assert "Traceback" not in output and "KeyboardInterrupt" not in output


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def _gone(pid: int, within: float = 10.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _hanging_command(pidfile: Path) -> list[str]:
    """A vendor command that starts a child and waits for it for ever."""
    return ["sh", "-c", f"sleep 300 & echo $! > {pidfile}; wait"]


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_client_check_interrupted_writes_the_report_and_ends_the_command_group(tmp_path):
    pidfile = tmp_path / "child.pid"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "client-check", "--scenario", "empty",
                             "--scenario", "first-sync", "--no-pdf", "--lang", "en", "--out", str(tmp_path / "o"),
                             "--", *_hanging_command(pidfile)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    for line in proc.stdout:
        if line.startswith("scenario empty"):
            break
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert proc.poll() is None
        time.sleep(0.02)
    child = int(pidfile.read_text())
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 143, output
    assert _gone(child), "the command's child outlived the run"
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert results["verdict"] == "interrupted"
    assert {c["status"] for c in results["checks"]} == {"not_run"}
    messages = {c["nodeid"].split("::")[0]: c["message"] for c in results["checks"]}
    assert "interrupted before it ended" in messages["empty"] and "was not run" in messages["first-sync"]


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_a_poll_that_times_out_ends_the_whole_command_group(tmp_path):
    pidfile = tmp_path / "child.pid"
    proc = subprocess.run([sys.executable, "-m", "conformance", "client-check", "--scenario", "empty", "--timeout",
                           "2", "--no-pdf", "--lang", "en", "--out", str(tmp_path / "o"), "--",
                           *_hanging_command(pidfile)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the command never synced
    assert _gone(int(pidfile.read_text()))
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    state = next(c for c in results["checks"] if c["requirements"] == ["SBS-STATE-01"])
    assert state["status"] == "failed" and "timed out" in state["message"]


def test_report_folders_of_the_same_second_never_collide():
    now = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert default_out(now, "aaaa1111", "-client") != default_out(now, "bbbb2222", "-client")
    assert default_out(now, "aaaa1111").name == "20261201T120000Z-aaaa1111"
