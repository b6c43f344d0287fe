"""Waivers: an approved, expiring exception for one requirement (``--waivers FILE``, YAML).

```yaml
waivers:
  - id: TP-PAGE-05
    reason: Sortering kommer i versjon 7.3
    expires: 2026-12-31
    approved_by: Kari Nordmann, prosjektleder
```

A failed, errored or warning requirement with a valid waiver becomes ``waived`` (reason shown). An expired
waiver is not applied and is reported; so is a waiver for a requirement that now passes (stale: remove it).
Waived ``required`` requirements do not fail the verdict, and they are listed on the report's cover.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from conformance import yamlfile
from conformance.errors import ConfigError
from conformance.results import RequirementResult

WAIVABLE = ("failed", "error", "warning")


@dataclass(frozen=True)
class Waiver:
    id: str
    reason: str
    expires: dt.date
    approved_by: str


def load_waivers(path: Path, known_ids: set[str]) -> list[Waiver]:
    try:
        data = yamlfile.load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"waiver file not found: {path}", "check the path given to --waivers") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"waiver file {path} is not valid YAML", "fix the syntax") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read waiver file {path}: {exc.strerror}", "check the path") from exc
    entries = data.get("waivers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path} has no list 'waivers'", "see the README for the waiver format")
    out = []
    for n, e in enumerate(entries, start=1):
        missing = [k for k in ("id", "reason", "expires", "approved_by") if not (isinstance(e, dict) and e.get(k))]
        if missing:
            raise ConfigError(f"waiver {n} in {path} lacks {', '.join(missing)}",
                              "every waiver needs id, reason, expires (YYYY-MM-DD) and approved_by")
        if e["id"] not in known_ids:
            raise ConfigError(f"waiver {n} in {path} names unknown requirement {e['id']}", "use an id from the report")
        expires = e["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError as exc:
                raise ConfigError(f"waiver {n}: expires {e['expires']!r} is not a date", "use YYYY-MM-DD") from exc
        out.append(Waiver(str(e["id"]), str(e["reason"]), expires, str(e["approved_by"])))
    return out


def apply_waivers(requirements: list[RequirementResult], waivers: list[Waiver], today: dt.date) -> list[dict]:
    """Mark waived requirements in place; return every waiver with its state for the report."""
    by_id = {r.id: r for r in requirements}
    states = []
    for w in waivers:
        req = by_id[w.id]
        record = {"id": w.id, "reason": w.reason, "expires": w.expires.isoformat(), "approved_by": w.approved_by,
                  "severity": req.severity, "original_status": req.status}
        if w.expires < today:
            record["state"] = "expired"
        elif req.status in WAIVABLE:
            record["state"] = "applied"
            req.waiver = {k: record[k] for k in ("reason", "expires", "approved_by", "original_status")}
            req.status = "waived"
        elif req.status == "passed":
            record["state"] = "stale"
        else:
            record["state"] = "unused"
        states.append(record)
    return states
