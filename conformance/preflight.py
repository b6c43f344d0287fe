"""Everything that can be checked before the first check runs, checked at once: a bad input costs a one-line
cause, a hint and exit code 2, never a run that fails at the end or a report full of identical errors.

:func:`prepare` loads what the run will use (credential, OpenAPI document, waivers, earlier results, the
signing key) and makes sure the output folder can be written; the run then uses these loaded objects.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError
from conformance.maskinporten.certs import (
    key_matches_certificate,
    load_certificate_chain,
    load_pkcs12,
    load_private_key,
)
from conformance.maskinporten.grant import SigningCredential
from conformance.settings import Settings
from conformance.spec import Spec, load_spec

#: The operations and schemas the bundled checks use: an OpenAPI file without them is the wrong document.
OPERATIONS = [("GET", "/api/trekkpaalegg/v1"), ("GET", "/api/trekkpaalegg/v1/{trekkid}/{trekkversjon}")]
SCHEMAS = ["Trekkpaalegg", "Feil"]
API_TITLE = "Trekkpålegg API"


@dataclass
class Prepared:
    """What a run needs, loaded and validated."""

    settings: Settings
    run_id: str
    started: dt.datetime
    out: Path
    spec: Spec
    credential: SigningCredential | None = None  # None: the embedded mock makes its own
    waivers: list[Any] = field(default_factory=list)
    assumptions: dict[str, str] = field(default_factory=dict)  # every assumption's value in this run
    previous: Any = None  # RunResult of --rerun-failed
    baseline: Any = None  # RunResult of --baseline


def default_out(started: dt.datetime, run_id: str, suffix: str = "") -> Path:
    """``reports/<UTC time>-<run id>``: the run id keeps two runs in the same second apart."""
    return Path("reports") / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{run_id}{suffix}"


def writable_folder(out: Path, what: str = "--out") -> Path:
    """Create ``out`` (it must be new or empty: old files would be mixed into the run's folder) and prove it
    can be written to."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{what} {out} is a file, not a folder", "give a folder path")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"{what} {out} is not empty", "give a new or empty folder: a run writes a complete "
                          "folder, and files of another run would be mixed into it")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".sbs-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write to {what} {out}: {exc.strerror or exc}",
                          "choose a folder you can write to") from exc
    return out


def load_credential(s: Settings) -> SigningCredential:
    """The signing credential of a real target's client, from --pkcs12, --key with --cert, or --key with --kid."""
    password = s.pkcs12_password.encode() if s.pkcs12_password else None
    if s.pkcs12:
        key, chain = load_pkcs12(s.pkcs12, password)
        return SigningCredential(key, x5c=tuple(chain))
    if s.key is None:
        raise ConfigError("no credential given", "give --key with --kid or --cert, or --pkcs12")
    key = load_private_key(s.key)
    if s.cert:
        chain = load_certificate_chain(s.cert)
        if not key_matches_certificate(key, chain[0]):
            raise ConfigError(f"the key in {s.key} does not belong to the first certificate in {s.cert}",
                              "put the signing certificate first in the PEM chain")
        return SigningCredential(key, x5c=tuple(chain))
    return SigningCredential(key, kid=s.kid)


def _results(path: Path, option: str) -> Any:
    from conformance.results import read_json

    try:
        return read_json(path / "results.json")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{option} {path}: results.json is not readable ({type(exc).__name__}: "
                          f"{str(exc)[:120]})", "give the output folder of an earlier sbs-conformance run") from exc


def prepare(settings: Settings, *, seeded_orgs: dict[str, str] | None = None) -> Prepared:
    """Validate and load everything the run will use; raises :class:`ConfigError` with a hint."""
    from conformance.requirements import load_catalogue

    started = dt.datetime.now(dt.UTC)
    run_id = uuid.uuid4().hex[:8]
    out = settings.out or default_out(started, run_id)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        writable_folder(out)  # says what is wrong with it, before anything else is loaded
    if settings.embedded_mock and seeded_orgs is not None:
        for option, org in (("--org", settings.org), ("--empty-org", settings.empty_org)):
            if org and org not in seeded_orgs:
                listed = ", ".join(f"{o} ({kind})" for o, kind in seeded_orgs.items())
                raise ConfigError(f"{option} {org} is not an organisation of the embedded mock",
                                  f"the embedded mock serves {listed}")
    from conformance.assumptions import load_register, parse_assume

    assumptions = load_register().resolve(parse_assume(settings.assume))
    spec = load_spec(settings.spec)
    spec.require(OPERATIONS, SCHEMAS, API_TITLE)
    credential = None if settings.embedded_mock else load_credential(settings)
    waivers: list[Any] = []
    if settings.waivers:
        from conformance.waivers import load_waivers

        waivers = load_waivers(settings.waivers, set(load_catalogue().ids))
    if settings.sign_key:
        load_private_key(settings.sign_key)  # a signing key that is no key fails now, not after the run
    previous = _results(settings.rerun_failed, "--rerun-failed") if settings.rerun_failed else None
    baseline = _results(settings.baseline, "--baseline") if settings.baseline else None
    writable_folder(out)  # last: a run refused for another reason leaves no folder behind
    return Prepared(settings, run_id, started, out, spec, credential, waivers, assumptions, previous, baseline)
