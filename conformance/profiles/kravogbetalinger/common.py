"""What the common checks (auth, errors, 406, operations) need to know of Krav og betalinger, and the paths and
tokens its own checks use.

Its codes are documented on its page (KB-001..009, KB-008 for a format other than JSON or XML), so neither the
prefix nor the 406 is an assumption. With ``regnskapssystem`` the token is an Altinn system user's for the party
read; with ``finans`` it carries the party's consent (``--param samtykke``).
Source: https://skatteetaten.github.io/api-dokumentasjon/api/kravogbetalinger
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from conformance.errorcodes import standard
from conformance.profiles.base import CommonSetup, ErrorSample

PREFIX = "KB"

KRAV_OG_BETALINGER = standard(PREFIX, no_data="Ingen krav eller betalinger funnet for oppgitt identifikator og periode",
                              authorisation="Feil i forbindelse med samtykketoken")


def path(target: Any, endpoint: str, *, party: str | None = None, package: str | None = None,
         fra: str | None = "", til: str | None = "") -> str:
    """An endpoint's path for a party (default: the params' party and period; ``None`` leaves a date out)."""
    p = target.params
    query = {}
    if endpoint != "aapnekrav":
        for key, value, default in (("fraOgMed", fra, p["fra_og_med"]), ("tilOgMed", til, p["til_og_med"])):
            if value is not None:
                query[key] = value or default
    suffix = f"?{urlencode(query)}" if query else ""
    return f"/{package or p['rettighetspakke']}/{party or p['part']}/{endpoint}{suffix}"


def token_options(target: Any, party: str | None = None) -> dict[str, str | None]:
    """The token for reading ``party`` (default: the params' party) under the run's rettighetspakke."""
    p = target.params
    party = party or p["part"]
    if p["rettighetspakke"] == "regnskapssystem":
        return {"systemuser_org": party}
    consent = p.get("samtykke") if party == p["part"] else p.get("samtykke_uten_data")
    return {"systemuser_org": None, "consent_id": consent}


def client_for(target: Any, party: str) -> Any:
    """An API client whose token may read ``party`` (a system user's or a consent's), or None when the run has no
    consent for it."""
    options = token_options(target, party)
    if options == token_options(target):
        return target.client
    if target.params["rettighetspakke"] == "finans" and not options.get("consent_id"):
        return None
    tokens = target.token_client(**options)
    return target.api(tokens.access_token)


def _samples(target: Any) -> list[ErrorSample]:
    p = target.params
    out = [ErrorSample("kob.err.sample_long_period", path(target, "krav", fra=p["fra_og_med"], til="2099-12-31")),
           ErrorSample("kob.err.sample_no_fra", path(target, "krav", fra=None))]
    if p.get("ukjent_part"):
        out.append(ErrorSample("kob.err.sample_unknown_party", path(target, "aapnekrav", party=p["ukjent_part"])))
    return out


COMMON = CommonSetup(
    error_table=KRAV_OG_BETALINGER,
    probe=lambda target: path(target, "aapnekrav"),
    unknown_path="/regnskapssystem/311851381/finnes-ikke",
    unsupported_accept="text/csv",
    auth_status_assumption="A-KOB-AUTH-STATUS",
    error_samples=_samples,
    xml=True,
    operation=lambda p: next((e for e in ("aapnekrav", "innbetalinger", "utbetalinger", "krav")
                              if p.split("?")[0].endswith("/" + e)), "call"),
    token_options=token_options,
)
