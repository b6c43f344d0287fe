"""Imports a process pays for without using them, deferred to their first use.

httpx imports its command-line client (``httpx._main``: click, rich and pygments, about 0.1 s of CPU on a small
machine) whenever those packages are installed, though only the ``httpx`` command calls it. Every process of this
tool imports httpx: a run, each start of the reference SBS client during a client-check (a dozen per
``--scenario all``), a vendor's pytest with the plugin. :func:`defer_httpx_cli` puts a stand-in for
``httpx._main`` in place before httpx is first imported; the real module is imported the first time anyone uses
it (``httpx.main()``, or any of its names), so nothing changes for code that does.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_CLI = "httpx._main"


class _DeferredModule(types.ModuleType):
    """Stands for a module until one of its names is used; then the real module is imported and takes its place
    in ``sys.modules``. Dunder names (which the import system probes) are not forwarded."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_load(self.__name__), name)


def _load(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _DeferredModule):
        del sys.modules[name]
    return importlib.import_module(name)


def _httpx_main(*args: Any, **kwargs: Any) -> Any:
    """``httpx.main``: the real command-line client, imported now."""
    return _load(_CLI).main(*args, **kwargs)


def defer_httpx_cli() -> None:
    """Defer ``httpx._main`` (see the module's docstring); nothing to do once httpx is imported."""
    if "httpx" in sys.modules or _CLI in sys.modules:
        return
    stand_in = _DeferredModule(_CLI, "httpx's command-line client, imported on first use (conformance.deferred)")
    stand_in.main = _httpx_main  # type: ignore[attr-defined]  # what httpx/__init__ takes from it
    sys.modules[_CLI] = stand_in
