"""The requirement catalogue: data, loaded from YAML shipped in the package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

SEVERITIES = ("required", "recommended", "informational")
TARGETS = ("mock", "test")


@dataclass(frozen=True)
class Requirement:
    id: str
    title_nb: str
    title_en: str
    severity: str
    source: str
    applies_to: tuple[str, ...]
    hint_nb: str = ""
    hint_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nb

    def hint(self, lang: str) -> str:
        return self.hint_en if lang == "en" else self.hint_nb


@dataclass(frozen=True)
class Catalogue:
    profile: str
    requirements: tuple[Requirement, ...]
    text: str  # the file as shipped, for its digest

    def get(self, req_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == req_id), None)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.requirements]


@cache
def load_catalogue(profile: str = "trekkpaalegg") -> Catalogue:
    text = files("conformance.requirements").joinpath(f"{profile}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    reqs = []
    for entry in data["requirements"]:
        req = Requirement(entry["id"], entry["title_nb"], entry["title_en"], entry["severity"], entry["source"],
                          tuple(entry["applies_to"]), entry.get("hint_nb", ""), entry.get("hint_en", ""))
        if req.severity not in SEVERITIES or not set(req.applies_to) <= set(TARGETS) or not req.source.startswith(
                "https://"):
            raise ValueError(f"catalogue {profile}: bad entry {req.id}")
        reqs.append(req)
    ids = [r.id for r in reqs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"catalogue {profile}: duplicate ids")
    return Catalogue(data["profile"], tuple(reqs), text)
