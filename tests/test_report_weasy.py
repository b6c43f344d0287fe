"""WeasyPrint is imported without ctypes.util.find_library (ldconfig, gcc and ld per library name), and still
imports where only find_library finds Pango. Each case in a fresh interpreter: an import happens once per process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.skipif(os.environ.get("CI") != "true" and not importlib.util.find_spec("weasyprint"),
                       reason="WeasyPrint not installed (the [pdf] extra)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the linker's cache is Linux's"),
]

_IMPORT = """
import ctypes.util, json, sys
asked = []
real_find_library = ctypes.util.find_library
ctypes.util.find_library = lambda name: asked.append(name) or real_find_library(name)
if sys.argv[1] == "linux-names-refused":  # Pango's libraries are not found under their Linux names
    import cffi
    real_dlopen = cffi.FFI.dlopen
    def dlopen(self, name, *args):
        if ".so." in str(name):
            raise OSError(f"cannot load library {name!r}")
        return real_dlopen(self, name, *args)
    cffi.FFI.dlopen = dlopen
before = ctypes.util.find_library
from conformance.report.weasy import import_weasyprint
weasyprint = import_weasyprint()
print(json.dumps({"asked": asked, "restored": ctypes.util.find_library is before,
                  "renders": hasattr(weasyprint, "HTML")}))
"""


def _import(case: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _IMPORT, case], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_weasyprint_is_imported_without_find_library_and_its_programs():
    got = _import("usual")
    assert got["renders"] and got["restored"]
    assert got["asked"] == [], f"find_library (ldconfig, gcc, ld) was asked for {got['asked']}"


def test_libraries_not_found_under_their_linux_names_are_found_by_find_library_as_it_is():
    got = _import("linux-names-refused")
    assert got["renders"] and got["restored"]
    assert any("pango" in name for name in got["asked"]), got["asked"]
