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
from typing import TYPE_CHECKING, Any

from conformance.errors import ConfigError
from conformance.maskinporten.certs import (
    key_matches_certificate,
    load_certificate_chain,
    load_pkcs12,
    load_private_key,
)
from conformance.maskinporten.grant import SigningCredential
from conformance.profiles import Profile, select
from conformance.settings import Settings
from conformance.spec import Spec, load_spec

if TYPE_CHECKING:
    from conformance.report.pdfworker import PdfWorker


@dataclass
class Prepared:
    """What a run needs, loaded and validated."""

    settings: Settings
    run_id: str
    started: dt.datetime
    out: Path
    specs: dict[str, Spec]  # profile name -> its OpenAPI document (bundled, or --spec)
    credential: SigningCredential | None = None  # None: the embedded mock makes its own
    waivers: list[Any] = field(default_factory=list)
    assumptions: dict[str, str] = field(default_factory=dict)  # every assumption's value in this run
    previous: Any = None  # RunResult of --rerun-failed
    baseline: Any = None  # RunResult of --baseline
    profiles: list[Profile] = field(default_factory=list)  # the APIs judged, in report order
    params: dict[str, dict[str, str]] = field(default_factory=dict)  # profile name -> its test-data inputs
    pdf_worker: PdfWorker | None = None  # importing WeasyPrint while the checks run (None: no PDF, or in-process)

    @property
    def spec(self) -> Spec:
        """The document of the first (for most runs: the only) API."""
        return self.specs[self.profiles[0].name]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    @property
    def catalogue(self) -> Any:
        from conformance.catalogue import catalogue_of

        return catalogue_of(self.names)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Requirement-id prefixes the bundled catalogues own: an id with one of them must be in the catalogue."""
        from conformance.profiles import profiles

        return tuple(f"{p}-" for q in profiles() for p in (q.requirement_prefix, q.client_prefix) if p)


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


def resolve_params(settings: Settings, profiles: list[Profile]) -> dict[str, dict[str, str]]:
    """Every profile's test-data inputs from ``--param KEY=VALUE`` (``API.KEY`` when several APIs have the key):
    an unknown key, or a required one missing for a real target, is a configuration error naming the expected
    ones. The embedded mock has a value for every param."""
    given: dict[str, dict[str, str]] = {p.name: {} for p in profiles}
    for item in settings.param:
        key, sep, value = str(item).partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ConfigError(f"--param {item!r} is not KEY=VALUE", "e.g. --param inntektsaar=2021")
        api, _, name = key.rpartition(".")
        owners = [p for p in profiles if (not api or p.name == api) and p.param(name) is not None]
        if not owners:
            expected = [f"{p.name}: {', '.join(q.name for q in p.params) or '(none)'}" for p in profiles]
            raise ConfigError(f"unknown --param {key}", f"expected params: {'; '.join(expected)}")
        for owner in owners:
            given[owner.name][name] = value
    out: dict[str, dict[str, str]] = {}
    for p in profiles:
        values = dict(given[p.name])
        mock_values = {}
        if settings.embedded_mock:  # the mock's data decides them (a fault may change which one is looked up)
            decide = getattr(p.mock, "default_params", None)
            mock_values = decide(settings) if decide else {}
        for param in p.params:
            if param.name in values:
                continue
            if settings.embedded_mock and (param.name in mock_values or param.mock_default is not None):
                values[param.name] = mock_values.get(param.name, param.mock_default)
            elif param.default is not None:
                values[param.name] = param.default
            elif param.required and not settings.embedded_mock:
                needed = [q.name for q in p.params if q.required and q.name not in given[p.name]]
                raise ConfigError(f"--api {p.name} needs --param {', '.join(needed)} for a real target",
                                  f"see sbs-conformance profiles show {p.name} (e.g. --param "
                                  f"{param.name}={param.example or '...'})")
        out[p.name] = values
    return out


def prepare(settings: Settings, *, seeded_orgs: dict[str, str] | None = None, worker: bool = False) -> Prepared:
    """Validate and load everything the run will use; raises :class:`ConfigError` with a hint. A ``worker``
    (pytest-xdist) runs checks for a run its controller prepared: it does not make the output folder."""
    from conformance.catalogue import catalogue_of

    started = dt.datetime.now(dt.UTC)
    run_id = uuid.uuid4().hex[:8]
    out = settings.out or default_out(started, run_id)
    if not worker and out.exists() and (not out.is_dir() or any(out.iterdir())):
        writable_folder(out)  # says what is wrong with it, before anything else is loaded
    profiles = select(settings.api)
    if settings.embedded_mock:
        if seeded_orgs is None:
            seeded_orgs = {}
            for p in profiles:
                listed = getattr(p.mock, "seeded_orgs", None)
                seeded_orgs.update(listed(settings.mock_size) if listed else {})
        for option, org in (("--org", settings.org), ("--empty-org", settings.empty_org)):
            if org and seeded_orgs and org not in seeded_orgs:
                listed = ", ".join(f"{o} ({kind})" for o, kind in seeded_orgs.items())
                raise ConfigError(f"{option} {org} is not an organisation of the embedded mock",
                                  f"the embedded mock serves {listed}")
    from conformance.assumptions import parse_assume, register_of

    assumptions = register_of(p.name for p in profiles).resolve(parse_assume(settings.assume))
    params = resolve_params(settings, profiles)
    specs = {}
    for p in profiles:
        spec = load_spec(settings.spec, p) if settings.spec else load_spec(profile=p)
        spec.require(list(p.operations), list(p.schemas), p.title_en)
        specs[p.name] = spec
    credential = None if settings.embedded_mock else load_credential(settings)
    waivers: list[Any] = []
    if settings.waivers:
        from conformance.waivers import load_waivers

        waivers = load_waivers(settings.waivers, set(catalogue_of(p.name for p in profiles).ids))
    if settings.sign_key:
        load_private_key(settings.sign_key)  # a signing key that is no key fails now, not after the run
    previous = _results(settings.rerun_failed, "--rerun-failed") if settings.rerun_failed else None
    baseline = _results(settings.baseline, "--baseline") if settings.baseline else None
    if not worker:
        writable_folder(out)  # last: a run refused for another reason leaves no folder behind
    return Prepared(settings, run_id, started, out, specs, credential, waivers, assumptions, previous, baseline,
                    profiles, params)
