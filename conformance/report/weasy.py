"""Importing WeasyPrint without running the C compiler.

WeasyPrint loads Pango and the libraries beside it through cffi, each under several platforms' names
(``libgobject-2.0-0``, ``gobject-2.0-0``, ``gobject-2.0``, ``libgobject-2.0.so.0``, ...). For every name the dynamic
linker cannot open as it is, cffi asks ``ctypes.util.find_library``, which on Linux runs ``ldconfig -p``, then
``gcc``, then ``ld``: some 550 programs and 0.2 s of CPU per import here, where a compiler is installed
(Kozea/WeasyPrint#1125). Each list also holds the library's Linux name (``libgobject-2.0.so.0``), which the dynamic
linker opens by its own search (``LD_LIBRARY_PATH``, its cache, the system's folders), so the import first runs with
``find_library`` finding nothing; where that fails (a library under another name), it runs again with
``find_library`` as it is.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from types import ModuleType


def import_weasyprint() -> ModuleType:
    """The ``weasyprint`` module; ImportError or OSError (Pango missing) as ``import weasyprint`` raises them."""
    if "weasyprint" not in sys.modules:
        with _without_find_library() as without:
            try:
                import weasyprint
            except OSError:
                if not without:
                    raise
            else:
                return weasyprint
    import weasyprint  # loaded already, or again with every way find_library has to find a library

    return weasyprint


@contextlib.contextmanager
def _without_find_library() -> Iterator[bool]:
    """On Linux, ``ctypes.util.find_library`` finds nothing while the block runs (True); elsewhere it is left
    alone (False: macOS and Windows look libraries up without starting programs)."""
    import ctypes.util

    if not sys.platform.startswith("linux"):
        yield False
        return
    find_library = ctypes.util.find_library
    ctypes.util.find_library = _find_nothing
    try:
        yield True
    finally:
        ctypes.util.find_library = find_library


def _find_nothing(name: str) -> None:
    return None
