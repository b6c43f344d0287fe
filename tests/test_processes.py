"""processes.exit_now: the end of a command-line process without Python's teardown keeps what Python's exit does."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import atexit, sys, threading
    from pathlib import Path
    from conformance.processes import exit_now

    out = Path(sys.argv[1])
    go = threading.Event()

    def late_writer():
        go.wait()
        sum(range(3_000_000))  # work that outlasts the main thread's way to os._exit unless it is waited for
        (out / "thread.txt").write_text("written by a thread still running at the end")

    threading.Thread(target=late_writer).start()  # not a daemon: Python's exit waits for it, so must exit_now
    atexit.register(lambda: (out / "atexit.txt").write_text("atexit ran"))
    sys.stdout.write("buffered, no newline")  # a pipe: block-buffered, so only a flush gets it out
    sys.stderr.write("to stderr")
    go.set()
    exit_now(7)
""")


def test_exit_now_keeps_the_exit_code_the_threads_the_atexit_functions_and_the_buffered_output(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 7
    assert proc.stdout == "buffered, no newline"
    assert proc.stderr == "to stderr"
    assert (tmp_path / "atexit.txt").read_text() == "atexit ran"
    assert (tmp_path / "thread.txt").read_text().startswith("written by a thread")


def test_the_console_entry_ends_with_mains_exit_code(tmp_path):
    """``python -m conformance`` ends through exit_now with the code main() returned (2: a configuration error),
    its one-line cause and hint on stderr."""
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--api", "nope", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unknown API 'nope'" in proc.stderr and "hint:" in proc.stderr
