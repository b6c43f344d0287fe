"""The answers the Krav og betalinger checks judge, fetched once per run for the params' party and period (every
check that uses one relies on its call), and what their bodies must hold."""

from __future__ import annotations

from typing import Any

from conformance.outcomes import skip
from conformance.profiles.kravogbetalinger.common import path

XML = "application/xml"
SCHEMAS = {"aapnekrav": "AapneKrav", "krav": "KravListe", "innbetalinger": "Innbetalinger",
           "utbetalinger": "Utbetalinger"}


def answer(target: Any, endpoint: str, accept: str | None = None) -> Any:
    headers = {"Accept": accept} if accept else None
    return target.once(f"{endpoint}:{accept or 'json'}",
                       lambda: target.client.request(path(target, endpoint), headers=headers))


def media(response: Any) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def body_of(target: Any, endpoint: str) -> dict[str, Any]:
    """The JSON answer's body; a check of its content is not run when there is none (the endpoint's own check
    says why)."""
    response = answer(target, endpoint)
    try:
        body = response.json() if response.status_code == 200 else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        skip("kob.no_answer", endpoint=endpoint, status=response.status_code)
    return body
