"""Imports a process pays for without using them, deferred to their first use.

httpx imports its command-line client (``httpx._main``: click, rich and pygments, about 0.1 s of CPU on a small
machine) whenever those packages are installed, though only the ``httpx`` command calls it. Every process of this
tool imports httpx: a run, each start of the reference SBS client during a client-check (a dozen per
``--scenario all``), a vendor's pytest with the plugin. :func:`defer_httpx_cli` puts a stand-in for
``httpx._main`` in place before httpx is first imported; the real module is imported the first time anyone uses
it (``httpx.main()``, or any of its names), so nothing changes for code that does.

httpcore (under httpx) imports trio whenever it is installed (about 0.1 s of CPU here; Selenium, for one, installs
it), though only async code running under trio uses it. :func:`defer_httpcore_trio` loads the two httpcore modules
that import it with ``import trio`` giving a stand-in that imports trio the first time one of its names is used.
Outside those two modules' loading ``sys.modules`` is left alone: any other ``import trio`` is the usual one.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

_CLI = "httpx._main"


class _DeferredModule(types.ModuleType):
    """Stands for a module until one of its names is used; then the real module is imported and takes its place
    in ``sys.modules`` (httpcore's trio: the stand-in is only in the modules that imported it). Dunder names (which
    the import system probes) are not forwarded."""

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


#: httpcore's modules that import trio (for async code under trio; every use is inside a function)
_HTTPCORE_TRIO_USERS = frozenset({"httpcore._synchronization", "httpcore._backends.trio"})


class _WithTrioOnFirstUse(importlib.abc.Loader):
    """Loads one of httpcore's modules with ``import trio`` giving a :class:`_DeferredModule`: the module is the
    same, its ``trio`` is imported when it is first used. Everything else is the wrapped loader's."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        if "trio" in sys.modules:  # imported meanwhile: the real one
            self._loader.exec_module(module)
            return
        stand_in = _DeferredModule("trio", "trio, imported on first use (conformance.deferred)")
        sys.modules["trio"] = stand_in  # what `import trio` binds, for this module only
        try:
            self._loader.exec_module(module)
        finally:
            if sys.modules.get("trio") is stand_in:
                del sys.modules["trio"]

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, ... (tracebacks, resources)
        return getattr(self._loader, name)


class _HttpcoreTrioFinder(importlib.abc.MetaPathFinder):
    """Finds httpcore's modules that import trio as the path finder does, with :class:`_WithTrioOnFirstUse` as
    their loader, when trio is installed; leaves ``sys.meta_path`` once it has seen them."""

    def __init__(self) -> None:
        self._waiting = set(_HTTPCORE_TRIO_USERS)

    def find_spec(self, fullname: str, path: Any = None, target: types.ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._waiting:
            return None
        self._waiting.discard(fullname)
        if not self._waiting:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
        if "trio" in sys.modules or importlib.util.find_spec("trio") is None:
            return None  # imported already, or not installed: httpcore's own import (and its fallback)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _WithTrioOnFirstUse(spec.loader)
        return spec  # None: another finder's (e.g. a zip file): httpcore imports trio as it always does


def defer_httpcore_trio() -> None:
    """Defer httpcore's import of trio (see the module's docstring); nothing to do once httpcore or trio is
    imported."""
    if "httpcore" in sys.modules or "trio" in sys.modules:
        return
    if not any(isinstance(finder, _HttpcoreTrioFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _HttpcoreTrioFinder())
