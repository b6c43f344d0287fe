"""What ``sbs-conformance profiles`` prints: the installed APIs, and everything one of them needs and checks.

Built from the profiles' own documents (catalogues, assumption register, params, faults, variants, scenarios),
so the listing cannot disagree with what a run does.
"""

from __future__ import annotations

from typing import Any

from conformance.profiles import DEFAULT, get, profiles
from conformance.profiles.base import Profile


def summary(profile: Profile, lang: str) -> dict[str, Any]:
    """One line's worth of a profile, as data (also the ``--json`` form of the listing)."""
    from conformance.catalogue import load_catalogue

    return {"name": profile.name, "title": profile.title(lang), "scope": profile.scope,
            "requirement_prefix": profile.requirement_prefix,
            "requirements": len(load_catalogue(profile.name).requirements),
            "params": [p.name for p in profile.params], "client_check": profile.client_catalogue is not None,
            "default": profile.name == DEFAULT}


def details(profile: Profile, lang: str) -> dict[str, Any]:
    """Everything a user needs to point a run at the API, as data."""
    from conformance.assumptions import load_register
    from conformance.catalogue import load_catalogue, load_client_catalogue
    from conformance.mock.faults import faults_of
    from conformance.mock.variants import variants_of

    catalogue = load_catalogue(profile.name)
    out = summary(profile, lang)
    out.update({
        "base_urls": {**dict(profile.base_urls), "mock": f"<mock origin>{profile.mock_mount}{profile.api_root}"},
        "media_types": list(profile.media_types),
        "altinn_resource": profile.altinn_resource,
        "params": [{"name": p.name, "help": p.help(lang), "required": p.required, "example": p.example,
                    "default": p.default, "mock": p.mock_default} for p in profile.params],
        "requirements": [{"id": r.id, "severity": r.severity, "title": r.title(lang)}
                         for r in catalogue.requirements],
        "assumptions": [{"id": a.id, "title": a.title(lang), "default": a.default, "values": sorted(a.values),
                         "scope": a.scope, "requirements": list(a.requirements), "source": a.source}
                        for a in load_register(profile.name).assumptions],
        "faults": faults_of(profile),
        "variants": {name: {"kind": kind, "assumption": assumption}
                     for name, (kind, _text, assumption) in variants_of(profile).items()},
    })
    if profile.client_catalogue:
        out["client_requirements"] = [{"id": r.id, "severity": r.severity, "title": r.title(lang)}
                                      for r in load_client_catalogue(profile.name).requirements]
        out["scenarios"] = sorted(profile.clientcheck.SCENARIOS)
    return out


def render_list(lang: str = "en") -> str:
    rows = [summary(p, lang) for p in profiles()]
    width = max(len(r["name"]) for r in rows) + (2 if any(r["default"] for r in rows) else 0)
    lines = []
    for r in rows:
        name = r["name"] + (" *" if r["default"] else "")
        params = ", ".join(r["params"]) or "-"
        lines.append(f"{name:<{width}}  {r['title']}")
        lines.append(f"{'':<{width}}  scope {r['scope']}; {r['requirements']} requirements "
                     f"({r['requirement_prefix']}-*); params: {params}{'; client-check' if r['client_check'] else ''}")
    lines.append("")
    lines.append("* the default --api. Details: sbs-conformance profiles show NAME")
    return "\n".join(lines)


def render_show(name: str, lang: str = "en") -> str:
    d = details(get(name), lang)
    en = lang == "en"
    lines = [f"{d['name']}: {d['title']}", f"  scope:        {d['scope']}",
             f"  media types:  {', '.join(d['media_types'])}"]
    if d["altinn_resource"]:
        lines.append(f"  system user:  Altinn resource {d['altinn_resource']}")
    lines.append("  base URLs:")
    lines += [f"    {target:<5} {url}" for target, url in d["base_urls"].items()]
    lines.append("  params (--param KEY=VALUE):" if d["params"] else "  params: none")
    for p in d["params"]:
        need = ("required for a real target" if en else "påkrevd mot et ekte mål") if p["required"] else (
            "optional" if en else "valgfri")
        extra = [need]
        if p["default"] is not None:
            extra.append(f"default {p['default']}")
        if p["mock"] is not None:
            extra.append(f"mock {p['mock']}")
        if p["example"]:
            extra.append(f"e.g. {p['example']}")
        lines.append(f"    {p['name']:<20} {p['help']} ({'; '.join(extra)})")
    lines.append(f"  requirements ({len(d['requirements'])}):")
    lines += [f"    {r['id']:<18} {r['severity']:<13} {r['title']}" for r in d["requirements"]]
    lines.append(f"  assumptions ({len(d['assumptions'])}; change one with --assume ID=VALUE):")
    for a in d["assumptions"]:
        others = [v for v in a["values"] if v != a["default"]]
        rests = f"; {', '.join(a['requirements'])}" if a["requirements"] else ""
        mock = " (mock)" if a["scope"] == "mock" else ""
        lines.append(f"    {a['id']:<26} {a['title']}{mock}")
        lines.append(f"    {'':<26} default {a['default']}{'; or ' + ', '.join(others) if others else ''}{rests}")
    lines.append("  mock faults (--mock-fault):")
    lines += [f"    {f:<28} breaks {req}" for f, req in sorted(d["faults"].items())]
    lines.append("  mock variants (--mock-variant):")
    for v, info in sorted(d["variants"].items()):
        differs = f", differs from {info['assumption']}" if info["assumption"] else ""
        lines.append(f"    {v:<28} {info['kind']}{differs}")
    if "client_requirements" in d:
        lines.append(f"  client-check --api {d['name']}: scenarios {', '.join(d['scenarios'])}")
        lines += [f"    {r['id']:<18} {r['severity']:<13} {r['title']}" for r in d["client_requirements"]]
    return "\n".join(lines)
