"""Shared fixtures for the repository's own tests (tests/). The bundled checks live in conformance/suite."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.evidence import Evidence
from conformance.maskinporten import MaskinportenClient, SigningCredential
from conformance.mock import MockState, seeded_state, serve
from conformance.mock.credentials import ClientCredentials, register_client
from conformance.mock.server import RunningMock
from conformance.profiles.trekkpaalegg import SCOPE
from conformance.profiles.trekkpaalegg.client import TrekkpaaleggClient
from conformance.profiles.trekkpaalegg.mock import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG

ROOT = Path(__file__).parent
# Vendors' example checks, run through the plugin by tests/test_plugin.py and tests/test_interrupts.py, not
# collected directly.
collect_ignore = ["tests/vendor_example", "tests/interrupt_example"]
EXAMPLES_FILE = ROOT.parent / "shared" / "reference" / "examples" / "trekkpaalegg-examples.json"


@pytest.fixture
def state() -> MockState:
    return seeded_state(50)


@pytest.fixture
def mock(state: MockState) -> Iterator[RunningMock]:
    with serve(state) as running:
        yield running


@pytest.fixture
def creds(state: MockState) -> ClientCredentials:
    return register_client(state, EXAMPLES_ORG, systemuser_orgs=(EMPTY_ORG, GENERATED_ORG))


def mp_client(mock: RunningMock, creds: ClientCredentials, evidence: Evidence | None = None,
              **kwargs: Any) -> MaskinportenClient:
    credential = SigningCredential(creds.private_key, kid=creds.kid, x5c=creds.chain)
    return MaskinportenClient(credential, client_id=creds.client_id, issuer=mock.issuer, token_url=mock.token_url,
                              scopes=kwargs.pop("scopes", [SCOPE]), evidence=evidence, **kwargs)


@pytest.fixture
def api(mock: RunningMock, creds: ClientCredentials) -> Iterator[TrekkpaaleggClient]:
    evidence = Evidence()
    mp = mp_client(mock, creds, evidence)
    client = TrekkpaaleggClient(mock.base_url, mp.access_token, evidence=evidence)
    yield client
    client.close()
    mp.close()


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 240, env: dict[str, str] | None = None
            ) -> tuple[int, dict[str, Any] | None, str]:
    """Run ``python -m conformance`` in a subprocess (``env``: variables added to this process's environment);
    (exit code, results.json or None, combined output)."""
    import os

    proc = subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, **env} if env else None)
    results = None
    if "--out" in args:
        path = Path(args[args.index("--out") + 1]) / "results.json"
        if path.exists():
            results = json.loads(path.read_text(encoding="utf-8"))
    return proc.returncode, results, proc.stdout + proc.stderr
