"""The requirement catalogue: data, loaded from YAML shipped in each profile (``catalogue.yaml`` for the API's
requirements, its client catalogue for client-check).

A catalogue names its sources once (``sources: {key: {url, title_nb, title_en}}``, the page titles a reader of
the report recognises) and each requirement points at one by key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from conformance import yamlfile

SEVERITIES = ("required", "recommended", "informational")
TARGETS = ("mock", "test", "systemuser")  # systemuser: client-check of a systembruker client


@dataclass(frozen=True)
class Source:
    url: str
    title_nb: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb


@dataclass(frozen=True)
class Requirement:
    id: str
    title_nb: str
    title_en: str
    severity: str
    source: str  # URL
    applies_to: tuple[str, ...]
    hint_nb: str = ""
    hint_en: str = ""
    source_title_nb: str = ""
    source_title_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    def hint(self, lang: str) -> str:
        return self.hint_en if lang == "en" else self.hint_nb

    def source_title(self, lang: str) -> str:
        return self.source_title_en if lang == "en" else self.source_title_nb


@dataclass(frozen=True)
class Catalogue:
    profile: str
    requirements: tuple[Requirement, ...]
    text: str  # the file as shipped, for its digest
    title_nb: str = ""
    title_en: str = ""

    def get(self, req_id: str) -> Requirement | None:
        return self._by_id.get(req_id)

    @cached_property
    def _by_id(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.requirements}

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.requirements]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    @staticmethod
    def merge(catalogues: Iterable[Catalogue]) -> Catalogue:
        """Several catalogues as one (a run over several APIs), in the given order."""
        cats = list(catalogues)
        if len(cats) == 1:
            return cats[0]
        return Catalogue("+".join(c.profile for c in cats), tuple(r for c in cats for r in c.requirements),
                         "\n".join(c.text for c in cats), " · ".join(c.title_nb for c in cats),
                         " · ".join(c.title_en for c in cats))

    def profile_of(self, req_id: str) -> str | None:
        """The API (profile name) a requirement belongs to, for grouping a report over several APIs."""
        from conformance.profiles import by_requirement

        found = by_requirement(req_id)
        return found.name if found else None


def _source(entry: Any, sources: dict[str, Source], where: str) -> Source:
    if isinstance(entry, str) and entry in sources:
        return sources[entry]
    raise ValueError(f"{where}: source {entry!r} is not one of the catalogue's sources")


def parse_catalogue(text: str, name: str) -> Catalogue:
    """A catalogue from its YAML text; every entry is validated (severity, targets, source)."""
    data = yamlfile.load(text)
    sources = {}
    for key, s in (data.get("sources") or {}).items():
        if not isinstance(s, dict) or not str(s.get("url", "")).startswith("https://"):
            raise ValueError(f"catalogue {name}: source {key} needs an https url and titles")
        sources[key] = Source(s["url"], s["title_nb"], s["title_en"])
    reqs = []
    for entry in data["requirements"]:
        src = _source(entry["source"], sources, f"catalogue {name} {entry.get('id')}")
        req = Requirement(entry["id"], entry["title_nb"], entry["title_en"], entry["severity"], src.url,
                          tuple(entry["applies_to"]), entry.get("hint_nb", ""), entry.get("hint_en", ""),
                          src.title_nb, src.title_en)
        if req.severity not in SEVERITIES or not set(req.applies_to) <= set(TARGETS):
            raise ValueError(f"catalogue {name}: bad entry {req.id}")
        reqs.append(req)
    ids = [r.id for r in reqs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"catalogue {name}: duplicate ids")
    return Catalogue(data["profile"], tuple(reqs), text, data.get("title_nb", ""), data.get("title_en", ""))


@cache
def load_catalogue(profile: str = "trekkpaalegg") -> Catalogue:
    """The API requirements of a profile."""
    from conformance.profiles import get

    return parse_catalogue(get(profile).text("catalogue.yaml"), profile)


@cache
def load_client_catalogue(profile: str = "trekkpaalegg") -> Catalogue:
    """The client requirements of a profile (what client-check judges)."""
    from conformance.profiles import get

    p = get(profile)
    if p.client_catalogue is None:
        raise LookupError(f"the {profile} profile has no client requirements")
    return parse_catalogue(p.text(p.client_catalogue), f"{profile}-client")


def catalogue_of(profiles: Iterable[str], client: bool = False) -> Catalogue:
    """The catalogue a result was judged by: the API requirements of its profiles, or their client ones."""
    load = load_client_catalogue if client else load_catalogue
    return Catalogue.merge(load(name) for name in profiles)
