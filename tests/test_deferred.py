"""conformance.deferred: httpx's command-line client, and httpcore's trio, are imported on first use only, and work
as before then. Each case runs in a fresh interpreter: the point is what a process has imported."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run_python(code: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:  # first on the path: a package there stands in for an installed one of the same name
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def fake_trio(tmp_path: Path) -> Path:
    """A folder with a package named trio (so the cases run where trio is not installed): it says when it is
    imported, and has a submodule."""
    package = tmp_path / "trio"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""\
        import sys
        print("trio imported", file=sys.stderr)
        class Lock:
            pass
        from . import lowlevel
        """))
    (package / "lowlevel.py").write_text("def checkpoint():\n    return 'checkpoint'\n")
    return tmp_path


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


def test_importing_the_package_and_httpcore_does_not_import_trio(fake_trio):
    proc = run_python("import sys, conformance, conformance.http, httpx, httpcore\n"
                      "print('trio' in sys.modules, type(httpcore._synchronization.trio).__name__)", fake_trio)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "_DeferredModule"]
    assert "trio imported" not in proc.stderr


def test_httpcores_trio_is_the_real_one_on_first_use(fake_trio):
    proc = run_python(textwrap.dedent("""\
        import sys, conformance, conformance.http
        import httpcore._synchronization as synchronization
        lock = synchronization.trio.Lock  # a name of trio, through the stand-in: trio is imported now
        import trio, trio.lowlevel
        assert lock is trio.Lock and sys.modules["trio"] is trio, (lock, trio)
        assert trio.lowlevel.checkpoint() == "checkpoint"
        import httpcore, httpcore._backends.trio as backend
        assert httpcore.TrioBackend is backend.TrioBackend  # the real backend, not httpcore's "not installed" class
        """), fake_trio)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("trio imported") == 1  # once, and the one module everybody sees


def test_nothing_is_deferred_when_trio_came_first(fake_trio):
    proc = run_python("import sys, trio, conformance, conformance.http\n"
                      "import httpcore._synchronization as s\n"
                      "print(s.trio is sys.modules['trio'])", fake_trio)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


def test_without_trio_httpcore_keeps_its_own_fallback():
    if importlib.util.find_spec("trio") is not None:
        pytest.skip("trio is installed here")
    proc = run_python("import conformance, conformance.http, httpcore\n"
                      "print(httpcore._synchronization.trio)\n"
                      "httpcore.TrioBackend()")
    assert proc.stdout.strip() == "None"
    assert "'trio' is not installed" in proc.stderr  # httpcore's own stand-in class, as without the package


def test_httpx_under_trio_works_when_the_package_came_first():
    pytest.importorskip("trio")
    proc = run_python(textwrap.dedent("""\
        import sys, threading, http.server
        import conformance, conformance.http  # httpcore loaded, trio not
        assert "trio" not in sys.modules
        import httpx, trio

        class Answer(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()

        async def main():
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{server.server_address[1]}/")
                print(response.status_code, response.text)

        trio.run(main)
        """))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "200 ok"
