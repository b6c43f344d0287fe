"""The reference clients, one per API: ``python -m conformance.clientcheck.reference`` runs the one of the API the
client-check environment names (``SBS_API``, default trekkpaalegg). Read each profile's ``reference.py`` as a
compact description of a correct integration."""

from __future__ import annotations

import os
import sys

from conformance.errors import ConfigError


def main() -> int:
    from conformance.profiles import DEFAULT, get

    try:
        profile = get(os.environ.get("SBS_API") or DEFAULT)
        return profile.run_reference_client()
    except (ConfigError, LookupError) as exc:
        print(f"sbs: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
