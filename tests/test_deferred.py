"""conformance.deferred: httpx's command-line client is imported on first use only, and works as before then.
Each case runs in a fresh interpreter: the point is what a process has imported."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_importing_the_package_and_httpx_does_not_import_httpxs_cli_dependencies():
    pytest.importorskip("rich")  # without it httpx does not import its CLI either
    proc = run_python("import sys, conformance, httpx, conformance.http\n"
                      "print(sorted(m for m in ('rich', 'pygments') if m in sys.modules))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_httpxs_cli_is_the_real_one_on_first_use():
    pytest.importorskip("rich")
    proc = run_python(
        "import sys, conformance, httpx\n"
        "import httpx._main as cli\n"
        "assert cli.print_response.__module__ == 'httpx._main'\n"  # a name of the real module, through the stand-in
        "assert type(sys.modules['httpx._main']).__name__ == 'module' and 'rich' in sys.modules\n"
        "httpx.main(['--help'])\n")
    assert proc.returncode == 0, proc.stderr
    assert "Usage: httpx" in proc.stdout  # httpx's own command-line client answered


def test_nothing_is_deferred_when_httpx_came_first():
    proc = run_python("import sys, httpx, conformance\n"
                      "print(type(sys.modules.get('httpx._main')).__name__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("module", "NoneType")  # httpx's own import, whatever it found installed
