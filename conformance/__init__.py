"""sbs-conformance: conformance suite and verification toolkit for Skatteetaten's APIs (Trekkpålegg, Trukket
kildeskatt på lønn, ...), for the end-user systems (SBS) that integrate with them. Each API is a profile
(:mod:`conformance.profiles`)."""

from typing import Any

from conformance.deferred import defer_httpcore_trio, defer_httpx_cli

defer_httpx_cli()  # before anything of the package imports httpx
defer_httpcore_trio()

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed distribution on first use: importlib.metadata (and the e-mail
    parser it needs) costs a process that never asks for it ~0.03 s, e.g. the PDF worker and the reference SBS
    clients."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("sbs-conformance")
    except PackageNotFoundError:  # running from a source tree that is not installed
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found
