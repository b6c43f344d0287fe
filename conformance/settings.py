"""Settings: one frozen object built from options, ``SBS_CONFORMANCE_<NAME>`` and a TOML file, validated once.

Precedence: command-line option > environment variable > ``--config`` file > default. The same names
serve the CLI (``--base-url``), the pytest plugin (``--sbs-base-url``), the environment
(``SBS_CONFORMANCE_BASE_URL``) and the TOML file (``base_url = "..."`` or ``base-url``).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError
from conformance.identifiers import orgnr_ok

TEST_ENV = {  # the API's base URL comes from its profile (each API has its own host there)
    "token_url": "https://test.maskinporten.no/token",
    "issuer": "https://test.maskinporten.no/",
}
PROD_HOSTS = ("//maskinporten.no", "api.skatteetaten.no")
MAX_CONCURRENCY = 5  # Skatteetaten: at most 5 concurrent calls per API and organisation


def byte_size(raw: str | int) -> int:
    """A size in bytes, written as a number with an optional K, M or G (1024-based), e.g. ``20M``."""
    text = str(raw).strip().upper().removesuffix("B").removesuffix("I")
    factor = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    value = int(float(number) * factor)
    if value <= 0:
        raise ValueError(raw)
    return value


byte_size.__name__ = "size (bytes, or a number with K, M or G)"


@dataclass(frozen=True)
class Option:
    name: str
    help: str
    kind: Any = str
    choices: tuple[str, ...] | None = None
    flag: bool = False
    multiple: bool = False
    secret: bool = False


OPTIONS: tuple[Option, ...] = (
    Option("api", "the API to judge: trekkpaalegg (default), trukketkildeskattpaaloenn, ..., or all"),
    Option("param", "a test-data input of the API, KEY=VALUE (repeatable; TOML table [params]); see "
           "sbs-conformance profiles show NAME", multiple=True),
    Option("target", "mock (embedded or --base-url) or test (Skatteetaten's test environment)",
           choices=("mock", "test")),
    Option("base_url", "the URL the API's paths are appended to (a served mock: its origin), e.g. "
           "https://api-test.sits.no for Trekkpålegg"),
    Option("token_url", "Maskinporten token endpoint"),
    Option("issuer", "Maskinporten issuer (the grant's aud), e.g. https://test.maskinporten.no/"),
    Option("client_id", "Maskinporten client id (integrasjonens identifikator)"),
    Option("key", "PEM private key (RSA) for the grant", kind=Path),
    Option("cert", "PEM certificate chain for x5c (virksomhetssertifikat), signing certificate first", kind=Path),
    Option("kid", "key id of a key registered on the Maskinporten client"),
    Option("pkcs12", "PKCS#12 virksomhetssertifikat (password in SBS_CONFORMANCE_PKCS12_PASSWORD)", kind=Path),
    Option("org", "your organisation number (Trekkpålegg: the trekkpliktig)"),
    Option("empty_org", "an organisation known to have no data, reached as systembruker with the same client"),
    Option("systemuser", "alternativ 2: use an Altinn systembruker token for --org", flag=True),
    Option("scope", "scope to ask for (default: the API's)"),
    Option("other_scope", "a second scope on the client, for the wrong-scope check against a real target"),
    Option("spec", "OpenAPI document to validate against (YAML or JSON, 3.0 or 3.1); default: bundled", kind=Path),
    Option("out", "output folder (default reports/<UTC time>-<id>)", kind=Path),
    Option("lang", "report language", choices=("nb", "en")),
    Option("timeout", "seconds one HTTP call may take in all (connect, send, every read)", kind=float),
    Option("deadline", "seconds the whole run may take; checks not finished by then are not run (default 600)",
           kind=float),
    Option("max_body", "largest answer accepted, e.g. 20M (default); a longer one ends the call", kind=byte_size),
    Option("retries", "attempts per call on connection errors, 429 and 5xx", kind=int),
    Option("slow", "run slow checks on a real target (waits out a token's lifetime)", flag=True),
    Option("max_items", "check at most this many items per data check (sampled evenly)", kind=int),
    Option("concurrency", "parallel calls the suite may make (1-5)", kind=int),
    Option("mock_fault", "embedded mock only: turn on a fault switch (repeatable), to see a failing report",
           multiple=True),
    Option("mock_size", "embedded mock only: size of the generated data set (Trekkpålegg: trekkpålegg in the "
           "generated organisation)", kind=int),
    Option("mock_variant", "embedded mock only: serve a documented variation (repeatable), to see it tolerated",
           multiple=True),
    Option("assume", "change what an assumption expects, ID=VALUE (repeatable; TOML table [assume])",
           multiple=True),
    Option("strict_assumptions", "a check that fails only on an assumption fails (default: a warning naming it)",
           flag=True),
    Option("waivers", "YAML file of approved, expiring waivers (id, reason, expires, approved_by)", kind=Path),
    Option("sign_key", "PEM RSA key to sign manifest.json (detached JWS)", kind=Path),
    Option("no_pseudonymise", "keep real personal numbers in evidence/ (internal use; never in the report)",
           flag=True),
    Option("no_pdf", "do not write report.pdf", flag=True),
    Option("quiet", "print only the verdict block, no progress lines", flag=True),
    Option("baseline", "earlier output folder to compare with (shown in the report)", kind=Path),
    Option("rerun_failed", "earlier output folder: re-run only its failed/errored checks and merge", kind=Path),
)
OPTION_NAMES = {o.name for o in OPTIONS}


def argument_kwargs(option: Option) -> dict[str, Any]:
    """How an option is declared, for both argparse (the CLI) and pytest's addoption (the plugin)."""
    if option.flag:
        return {"action": "store_true", "default": None}
    if option.multiple:
        return {"action": "append", "default": None}
    return {"default": None, "choices": option.choices}
SECTIONS = {"report", "assume", "params"}  # TOML tables with their own keys (report metadata, assumptions, params)


@dataclass(frozen=True)
class Settings:
    api: str = "trekkpaalegg"
    param: tuple[str, ...] = ()  # KEY=VALUE, from options, the environment and the TOML table [params]
    target: str = "mock"
    base_url: str | None = None
    token_url: str | None = None
    issuer: str | None = None
    client_id: str | None = None
    key: Path | None = None
    cert: Path | None = None
    kid: str | None = None
    pkcs12: Path | None = None
    pkcs12_password: str | None = field(default=None, repr=False)
    org: str | None = None
    empty_org: str | None = None
    systemuser: bool = False
    scope: str | None = None
    other_scope: str | None = None
    spec: Path | None = None
    out: Path | None = None
    lang: str = "nb"
    timeout: float = 30.0
    deadline: float = 600.0
    max_body: int = 20 * 1024 * 1024
    retries: int = 3
    slow: bool = False
    max_items: int = 200
    concurrency: int = 4
    mock_fault: tuple[str, ...] = ()
    mock_size: int = 2000
    mock_variant: tuple[str, ...] = ()
    assume: tuple[str, ...] = ()  # ID=VALUE, from options, the environment and the TOML table [assume]
    strict_assumptions: bool = False
    waivers: Path | None = None
    sign_key: Path | None = None
    no_pseudonymise: bool = False
    no_pdf: bool = False
    quiet: bool = False
    baseline: Path | None = None
    rerun_failed: Path | None = None
    config: Path | None = None
    report: Mapping[str, str] = field(default_factory=dict)
    embedded: bool = False  # set once the embedded mock runs and its URLs are filled in

    @property
    def embedded_mock(self) -> bool:
        return self.embedded or (self.target == "mock" and self.base_url is None)

    @property
    def auth_alternative(self) -> str:
        return "alternativ 2 (systembruker)" if self.systemuser else "alternativ 1 (egen virksomhet)"

    @property
    def credential_kind(self) -> str:
        if self.embedded_mock and not (self.key or self.pkcs12 or self.cert):
            return "generated key (kid)"
        if self.pkcs12:
            return "PKCS#12 virksomhetssertifikat (x5c)"
        if self.cert:
            return "PEM certificate chain (x5c)"
        return "registered key (kid)"

    def redacted(self) -> dict[str, Any]:
        """The configuration as it may appear in a report: paths and ids, never secrets."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "pkcs12_password":
                value = "[set]" if value else None
            out[f.name] = str(value) if isinstance(value, Path) else value
        out["report"] = dict(self.report)
        return out


def _convert(option: Option, raw: Any, source: str) -> Any:
    if raw is None:
        return None
    if option.flag:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{source}: {option.name} must be true or false, got {raw!r}", "use true or false")
    if option.multiple:
        items = raw if isinstance(raw, list | tuple) else [s for s in str(raw).split(",") if s.strip()]
        return tuple(str(i).strip() for i in items)
    try:
        value = option.kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {option.name} must be a {option.kind.__name__}, got {raw!r}",
                          f"fix the value of {option.name}") from exc
    if option.choices and value not in option.choices:
        raise ConfigError(f"{source}: {option.name} must be one of {', '.join(option.choices)}, got {raw!r}",
                          f"use one of {', '.join(option.choices)}")
    return value


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"


def _report_value(value: Any) -> str:
    """A [report] value as text: a list (e.g. several organisations) is joined, never shown as Python."""
    if isinstance(value, list | tuple):
        return ", ".join(_report_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_report_value(v)}" for k, v in value.items())
    return str(value)


def read_config_file(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """(options, report metadata) from a TOML file; unknown keys are an error with a suggestion. The table
    ``[assume]`` becomes the option ``assume`` (``ID=VALUE`` items)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}", "check the path given to --config") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", "fix the syntax at that line") from exc
    options: dict[str, Any] = {}
    report: dict[str, str] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name in ("assume", "params") and isinstance(value, dict):
            options["assume" if name == "assume" else "param"] = [f"{k}={v}" for k, v in value.items()]
        elif name in SECTIONS and isinstance(value, dict):
            report = {str(k): _report_value(v) for k, v in value.items()}
        elif name in OPTION_NAMES:
            options[name] = value
        else:
            raise ConfigError(f"unknown key {key!r} in {path}", _suggest(name, OPTION_NAMES | SECTIONS))
    return options, report


def resolve(cli: Mapping[str, Any], env: Mapping[str, str] | None = None, config: Path | None = None) -> Settings:
    """Merge the sources and validate. ``cli`` holds option names -> values (None: not given)."""
    env = os.environ if env is None else env
    config = config or (Path(env["SBS_CONFORMANCE_CONFIG"]) if env.get("SBS_CONFORMANCE_CONFIG") else None)
    from_file, report = read_config_file(config) if config else ({}, {})
    values: dict[str, Any] = {}
    given: dict[str, str] = {}  # option name -> where it came from
    for option in OPTIONS:
        env_name = f"SBS_CONFORMANCE_{option.name.upper()}"
        for source, raw in ((f"option --{option.name.replace('_', '-')}", cli.get(option.name)),
                            (f"environment {env_name}", env.get(env_name)),
                            (f"config {config}", from_file.get(option.name))):
            if raw is None or (option.multiple and raw in ((), [])) or (option.flag and raw is False
                                                                         and source.startswith("option")):
                continue
            values[option.name] = _convert(option, raw, source)
            given[option.name] = source
            break
    settings = Settings(**values, config=config, report=report,
                        pkcs12_password=env.get("SBS_CONFORMANCE_PKCS12_PASSWORD"))
    return _validated(settings, given)


#: Options that only a real target uses (the embedded mock makes its own client and key), and the reverse.
REAL_TARGET_ONLY = ("client_id", "key", "cert", "kid", "pkcs12", "token_url", "issuer", "other_scope", "slow")
EMBEDDED_ONLY = ("mock_fault", "mock_size", "mock_variant")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _validated(s: Settings, given: Mapping[str, str] | None = None) -> Settings:
    given = given or {}
    from conformance.profiles import select

    chosen = select(s.api)  # an unknown --api is a configuration error naming the known ones
    if s.target == "test":
        s = _with_defaults(s, TEST_ENV)
    if s.embedded_mock:
        idle = [n for n in REAL_TARGET_ONLY if n in given]
        if idle:
            raise ConfigError(f"{', '.join(_flag(n) for n in idle)} would do nothing with the embedded mock "
                              f"(it makes its own client and key); given by {given[idle[0]]}",
                              "these are for a real target: add --target test (or --base-url, --token-url and "
                              "--issuer of a served mock), or leave them out")
    else:
        idle = [n for n in EMBEDDED_ONLY if n in given]
        if idle:
            raise ConfigError(f"{', '.join(_flag(n) for n in idle)} work only with the embedded mock",
                              "leave out --base-url and --target test to use the embedded mock")
        needed = ("token_url", "issuer") if s.target == "test" else ("base_url", "token_url", "issuer")
        missing = [n for n in needed if not getattr(s, n)]
        if missing:
            raise ConfigError(f"missing {', '.join(_flag(m) for m in missing)} for target {s.target}",
                              "give all three URLs, or use --target test for Skatteetaten's test environment")
        if s.target == "test" and s.base_url and len(chosen) > 1:
            raise ConfigError("--base-url names one API's URL; with several APIs each has its own host",
                              "leave out --base-url with --api all, or run one --api at a time")
        if not s.client_id:
            raise ConfigError("missing --client-id", "use the client id of your Maskinporten integration")
        if not s.org:
            raise ConfigError("missing --org", "give your organisation number (Trekkpålegg: the trekkpliktig)")
        if s.pkcs12 and (s.key or s.cert):
            raise ConfigError("--pkcs12 cannot be combined with --key/--cert", "choose one credential")
        if not s.pkcs12 and not s.key:
            raise ConfigError("no credential given", "give --key with --kid (registered key) or with --cert (x5c), "
                                                     "or --pkcs12 (virksomhetssertifikat)")
        if s.key and bool(s.kid) == bool(s.cert):
            raise ConfigError("--key needs exactly one of --kid and --cert",
                              "--kid for a key registered on the client, --cert for a virksomhetssertifikat (x5c)")
        for name in ("key", "cert", "pkcs12"):
            path = getattr(s, name)
            if path and not Path(path).is_file():
                raise ConfigError(f"--{name} file not found: {path}", "check the path")
        if s.target == "test" and any(h in f"{s.issuer} {s.token_url} {s.base_url}" for h in PROD_HOSTS):
            raise ConfigError("production URLs given with --target test",
                              "test uses https://test.maskinporten.no/ and the APIs' test hosts")
    if s.spec and len(chosen) > 1:
        raise ConfigError("--spec is one API's OpenAPI document", "run one --api at a time with --spec")
    for name in ("waivers", "sign_key", "spec"):
        path = getattr(s, name)
        if path and not Path(path).is_file():
            raise ConfigError(f"{_flag(name)} file not found: {path}", "check the path")
    for name in ("baseline", "rerun_failed"):
        path = getattr(s, name)
        if path and not (Path(path) / "results.json").is_file():
            raise ConfigError(f"{_flag(name)} {path} holds no results.json", "give an output folder of an earlier run")
    for name in ("org", "empty_org"):
        value = getattr(s, name)
        if value and not orgnr_ok(value):
            raise ConfigError(f"{_flag(name)} {value} is not a valid organisation number",
                              "9 digits with a valid check digit (MOD11)")
    if not 1 <= s.concurrency <= MAX_CONCURRENCY:
        raise ConfigError(f"--concurrency {s.concurrency} is outside 1..{MAX_CONCURRENCY}",
                          "Skatteetaten allows at most 5 concurrent calls per API and organisation")
    if s.mock_fault:
        from conformance.mock.faults import faults_of

        known = {name for p in chosen for name in faults_of(p)}
        unknown = [f for f in s.mock_fault if f not in known]
        if unknown:
            raise ConfigError(f"unknown --mock-fault {', '.join(unknown)} for --api {s.api}",
                              _suggest(unknown[0], known))
    if s.mock_variant:
        from conformance.mock.variants import variants_of

        known = {name for p in chosen for name in variants_of(p)}
        unknown = [v for v in s.mock_variant if v not in known]
        if unknown:
            raise ConfigError(f"unknown --mock-variant {', '.join(unknown)} for --api {s.api}",
                              _suggest(unknown[0], known))
    if s.scope and len(chosen) > 1:
        raise ConfigError("--scope names one API's scope", "leave out --scope with --api all (each API's is used)")
    if s.timeout <= 0 or s.deadline <= 0 or s.retries < 1 or s.max_items < 1 or s.mock_size < 0:
        raise ConfigError("--timeout, --deadline, --retries and --max-items must be positive", "fix the value")
    return s


def _with_defaults(s: Settings, defaults: Mapping[str, str]) -> Settings:
    from dataclasses import replace

    return replace(s, **{k: v for k, v in defaults.items() if getattr(s, k) is None})
