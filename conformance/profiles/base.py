"""A profile: everything that makes one Skatteetaten API what it is, in one object.

The core (settings, http, evidence, results, outputs, report, mock server and gate, plugin, client-check runner)
knows no API. It reaches an API only through its :class:`Profile`: names, scope, URLs, the documents shipped in the
profile's package (``openapi.yaml``, ``catalogue.yaml``, ``assumptions.yaml``, ``messages.yaml`` and, with a
client check, its client catalogue), and the profile's modules, imported when first used so that the pytest plugin
stays light:

- ``common``: a :class:`CommonSetup` (``COMMON``) for the checks every API shares (auth, errors, 406, operations);
- ``mock``: ``seed(state, options)`` and ``routes(gate)`` for the bundled mock, ``FAULTS``/``VARIANTS`` data;
- ``fixtures``: pytest fixtures for the profile's checks and for vendors' own checks (optional);
- ``clientcheck``: scenarios, judges and the reference client (optional).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

from conformance.errorcodes import CodeTable


@dataclass(frozen=True)
class Param:
    """A test-data input of a profile (``--param KEY=VALUE``, TOML ``[params]``)."""

    name: str
    help_nb: str
    help_en: str
    mock_default: str | None = None  # the embedded mock's value (None: optional there too)
    required: bool = True  # for a real target
    example: str = ""
    default: str | None = None  # the value for any target when none is given

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_nb


@dataclass(frozen=True)
class ErrorSample:
    """One situation the service must answer with an error: the request (path relative to the API's root) and
    the message id that names the situation in the report."""

    what: str
    path: str = ""
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    token: str | bool | None = True
    host: str = ""  # "" the API's base URL; else a name in CommonSetup.hosts (e.g. an event list's lookup)


@dataclass(frozen=True)
class EventListSetup:
    """What the event-list checks (``*-HEND-*``, conformance/suite/test_eventlist.py) need of an API with a
    hendelseliste: the date to start from, the page sizes to page with, and the assumption on "past the end"."""

    start_dato: Callable[[Any], str]  # target -> YYYY-MM-DD
    past_end_assumption: str
    page_sizes: tuple[int, ...] = (1, 7, 1000)
    max_pages: int = 500  # per page size; beyond that the pages read are compared with the large read's start
    max_pages_of_one: int = 100  # antall=1 costs a call per event: its first 100 pages show the cursor rule as well
    large: int = 10_000  # the "one large read" page size
    schema: str = "Hendelser"
    event_schema: str = "Hendelse"
    start_schema: str = "Startsekvensnummer"


@dataclass(frozen=True)
class CommonSetup:
    """What the common checks need to know of an API."""

    error_table: CodeTable  # the API's own codes; the common DAS codes are judged by theirs
    probe: Callable[[Any], str]  # target -> a path (relative to the API's root) a valid token is served
    unknown_path: str  # a path under the API's root that is no endpoint
    unsupported_accept: str  # a media type the API does not serve (-> 406)
    auth_status_assumption: str  # the assumption on the 401/403 split (feil.md words it the other way round)
    accept_assumption: str | None = None  # None: the 406 is documented for this API
    error_prefix_assumption: str | None = None  # None: the prefix of the API's codes is documented
    error_samples: Callable[[Any], list[ErrorSample]] = lambda target: []  # the API's own error situations
    xml: bool = False  # serves XML too: errors come as the feil element with Accept: application/xml
    operation: Callable[[str], str] = lambda path: "call"  # path under the root -> operation (for latencies)
    # target -> how the main token is asked for ({"systemuser_org": ..., "consent_id": ...}; {}: as --systemuser says)
    token_options: Callable[[Any], Mapping[str, str | None]] = lambda target: {}
    event_list: EventListSetup | None = None  # the API has an event list: the *-HEND-* checks run for it
    hosts: Callable[[Any], Mapping[str, str]] = lambda target: {}  # other hosts of the API: name -> base URL
    other_tables: tuple[CodeTable, ...] = ()  # the codes those hosts answer with (judged by ERR-04)


@dataclass(frozen=True)
class Profile:
    name: str  # the scope suffix, e.g. trekkpaalegg
    title_nb: str
    title_en: str
    scope: str
    requirement_prefix: str  # TP: the requirement ids are TP-...
    package: str  # where the profile's documents and modules are
    base_urls: Mapping[str, str]  # target -> the URL the API's paths are appended to (test, prod)
    api_root: str  # the API's root path under the base URL ("" when the base URL has it)
    mock_mount: str  # where the bundled mock serves it under its origin
    media_types: tuple[str, ...] = ("application/json",)
    operations: tuple[tuple[str, str], ...] = ()  # (method, path) a --spec document must have
    schemas: tuple[str, ...] = ()  # component schemas a --spec document must have
    params: tuple[Param, ...] = ()
    personal_keys: Mapping[str, str] = field(default_factory=dict)  # key -> kind (fnr, konto, kid)
    altinn_resource: str | None = None  # the right a system user needs for this API
    client_catalogue: str | None = None  # the client requirements' file (client-check), e.g. sbs.yaml
    client_prefix: str | None = None  # the client requirement ids' prefix, e.g. SBS (SBS-AUTH-01)
    has_fixtures: bool = False

    # -- documents --------------------------------------------------------------------------------------------
    def resource(self, name: str) -> Any:
        return files(self.package).joinpath(name)

    def text(self, name: str) -> str:
        return self.resource(name).read_text(encoding="utf-8")

    @property
    def spec_text(self) -> str:
        return self.text("openapi.yaml")

    @property
    def checks_dir(self) -> Path:
        return Path(str(self.resource("checks")))

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    # -- modules, imported on first use ----------------------------------------------------------------------
    def module(self, name: str) -> Any:
        return importlib.import_module(f"{self.package}.{name}")

    @cached_property
    def common(self) -> CommonSetup:
        return self.module("common").COMMON

    @cached_property
    def mock(self) -> Any:
        return self.module("mock")

    @cached_property
    def clientcheck(self) -> Any:
        return self._client_check_module("clientcheck")

    def run_reference_client(self) -> int:
        """Run the profile's reference client (``main`` of its ``reference`` module) as the client-check contract
        describes; its process never loads the client check's judges and scenarios, which import the mock."""
        return int(self._client_check_module("reference").main())

    def _client_check_module(self, name: str) -> Any:
        if self.client_catalogue is None:
            raise LookupError(f"the {self.name} profile has no client check")
        return self.module(name)

    @property
    def faults(self) -> Mapping[str, tuple[str, str]]:
        """fault name -> (requirement id, what the mock then does wrong): the profile's own."""
        return self.mock.FAULTS

    @property
    def variants(self) -> Mapping[str, tuple[str, str, str | None]]:
        return self.mock.VARIANTS

    def requirement(self, suffix: str) -> str:
        """A common check's requirement id for this API: ``AUTH-03`` -> ``TP-AUTH-03``."""
        return f"{self.requirement_prefix}-{suffix}"
