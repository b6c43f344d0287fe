"""How the tool starts processes of its own (a vendor's client, the PDF worker)."""

from __future__ import annotations

import os
import subprocess
from typing import Any


def own_group() -> dict[str, Any]:
    """``Popen`` keyword arguments for a process in a process group (POSIX: a session) of its own: a Ctrl-C at the
    terminal reaches only this tool, which decides what to stop, and the group can be ended as a whole."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}  # pragma: no cover (Windows)
