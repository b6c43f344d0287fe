"""python -m conformance: the same as the sbs-conformance command."""

from conformance.cli import entry

entry()
