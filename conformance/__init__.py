"""sbs-conformance: conformance suite and verification toolkit for Skatteetaten's APIs (Trekkpålegg, Trukket
kildeskatt på lønn, ...), for the end-user systems (SBS) that integrate with them. Each API is a profile
(:mod:`conformance.profiles`)."""

from importlib.metadata import PackageNotFoundError, version

from conformance.deferred import defer_httpx_cli

defer_httpx_cli()  # before anything of the package imports httpx

try:
    __version__ = version("sbs-conformance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
