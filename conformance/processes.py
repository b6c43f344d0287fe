"""How the tool starts processes of its own (a vendor's client, the PDF worker), and how its own end."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
from typing import Any, NoReturn


def own_group() -> dict[str, Any]:
    """``Popen`` keyword arguments for a process in a process group (POSIX: a session) of its own: a Ctrl-C at the
    terminal reaches only this tool, which decides what to stop, and the group can be ended as a whole."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}  # pragma: no cover (Windows)


def exit_now(code: int) -> NoReturn:
    """End this command-line process as Python would, without its teardown of every module and object.

    Python's own exit waits for the threads that are not daemons, runs the ``atexit`` functions (temporary
    folders, logging, thread pools) and flushes the standard streams; then it frees every object one by one, about
    0.15 s of CPU at the end of a run and as much for the PDF worker, on the wall clock too. Here the first three
    are done and the rest is left to the operating system. Only where the process is ours to end (the console
    script, ``python -m``, the PDF worker; never the pytest plugin in a caller's process); every output file is
    written and closed by then."""
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_functions is None:  # pragma: no cover (an interpreter without it: the usual exit)
        sys.exit(code)
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
