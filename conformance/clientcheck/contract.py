"""The client-check environment contract, as a client written in Python reads it (the reference clients): the
variables every API's client gets (``SBS_BASE_URL``, ``SBS_TOKEN_URL``, ``SBS_ISSUER``, ``SBS_CLIENT_ID``,
``SBS_KEY_FILE`` with ``SBS_KID`` or ``SBS_CERT_FILE``, ``SBS_ORG``, ``SBS_SCOPE``, ``SBS_CA_FILE``,
``SBS_STATE_FILE``; ``SBS_SYSTEMUSER_ORG`` and ``SBS_EXTERNAL_REF`` in systembruker mode)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError
from conformance.http import RetryPolicy
from conformance.maskinporten import MaskinportenClient, SigningCredential
from conformance.maskinporten.certs import load_certificate_chain, load_private_key


def required(env: Mapping[str, str], name: str) -> str:
    try:
        return env[name]
    except KeyError as exc:
        raise ConfigError(f"missing environment variable {name}", "see the client-check contract") from exc


def credential(env: Mapping[str, str]) -> SigningCredential:
    """The key with its registered kid, or with its certificate chain (x5c)."""
    key = load_private_key(Path(required(env, "SBS_KEY_FILE")))
    if env.get("SBS_KID"):
        return SigningCredential(key, kid=env["SBS_KID"])
    return SigningCredential(key, x5c=tuple(load_certificate_chain(Path(required(env, "SBS_CERT_FILE")))))


def verify(env: Mapping[str, str]) -> bool | str:
    return env.get("SBS_CA_FILE") or True


def maskinporten(env: Mapping[str, str], signing: SigningCredential, retry: RetryPolicy) -> MaskinportenClient:
    """A token client by the contract (a system user when ``SBS_SYSTEMUSER_ORG`` is set)."""
    return MaskinportenClient(signing, client_id=required(env, "SBS_CLIENT_ID"), issuer=required(env, "SBS_ISSUER"),
                              token_url=required(env, "SBS_TOKEN_URL"), scopes=[required(env, "SBS_SCOPE")],
                              systemuser_org=env.get("SBS_SYSTEMUSER_ORG") or None,
                              external_ref=env.get("SBS_EXTERNAL_REF") or None, retry=retry, verify=verify(env))


def save_state(path: Path, data: Any) -> None:
    """Write the state file atomically (a crash leaves the previous one)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)


class ReferenceBase:
    """The behaviours every reference client shares, each one method a buggy client (tests) can override: its
    token client by the contract, the token reused until near expiry (a new one once after a 401), retries with
    backoff, and for a client that calls in parallel at most four calls at a time (Skatteetaten allows five per API
    and organisation)."""

    PARALLEL = 4

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.state_file = Path(required(env, "SBS_STATE_FILE"))
        self.mp = self.maskinporten(credential(env))

    def maskinporten(self, signing: SigningCredential) -> MaskinportenClient:
        return maskinporten(self.env, signing, self.retry_policy())

    def token(self) -> str:
        return self.mp.access_token()

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(attempts=4, backoff=0.2, max_wait=10)

    def parallel(self) -> int:
        return self.PARALLEL

    def renewing(self, call: Callable[[], Any]) -> Any:
        """``call()`` (one API call answering a response); on a 401 drop the token and call once more, with a new
        one."""
        response = call()
        if response.status_code == 401:
            self.mp.invalidate()
            response = call()
        return response


def guarded(work: Callable[[], Any], done: Callable[[Any], str]) -> int:
    """Run a poll's work; its exit code by the contract: 0 done (``done`` says what, on stdout), 3 access refused,
    4 the service kept failing or answered unreadably (one line on stderr; a system user the customer has not
    approved says what to do about it)."""
    from conformance.apiclient import ApiError, UnexpectedBody
    from conformance.errors import TargetEnvironmentError
    from conformance.maskinporten import MaskinportenError

    try:
        result = work()
    except ApiError as exc:
        print(f"sbs: access refused or call failed: {exc}", file=sys.stderr)
        return 3 if exc.status in (401, 403) else 4
    except MaskinportenError as exc:
        print(f"sbs: {exc.one_line()}", file=sys.stderr)
        if exc.mp_code == "MP-303" or exc.error == "invalid_altinn_customer_configuration":
            print("sbs: the customer has not approved this system's system user (or it lacks the right); "
                  "ask the customer to approve the system user request in Altinn", file=sys.stderr)
        return 3
    except TargetEnvironmentError as exc:
        print(f"sbs: {exc.one_line()}", file=sys.stderr)
        return 4
    except (UnexpectedBody, ValueError) as exc:
        print(f"sbs: {exc}", file=sys.stderr)
        return 4
    print(f"sbs: {done(result)}")
    return 0


def run_client(make: Callable[[Mapping[str, str]], Any]) -> int:
    """Run a reference client made from this process's environment: its exit code, or 2 with one line on stderr
    when the environment is not as the contract says."""
    try:
        return int(make(os.environ).run())
    except ConfigError as exc:
        print(f"sbs: {exc.one_line()}", file=sys.stderr)
        return 2
