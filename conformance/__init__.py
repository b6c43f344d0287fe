"""sbs-conformance: conformance suite and verification toolkit for Skatteetaten's Trekkpålegg API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sbs-conformance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

SCOPE = "skatteetaten:trekkpaalegg"
API_BASE_PATH = "/api/trekkpaalegg/v1"

__all__ = ["API_BASE_PATH", "SCOPE", "__version__"]
