"""Reading Maskinporten access tokens: shared by the mock (to serve data) and the checks (to judge)."""

from __future__ import annotations

from typing import Any


def token_org(claims: dict[str, Any]) -> str | None:
    """The trekkpliktig: ``systemuser_org`` of a systembruker token, else the ``consumer``."""
    details = claims.get("authorization_details")
    if isinstance(details, dict):
        details = [details]
    if isinstance(details, list):
        for d in details:
            if isinstance(d, dict) and d.get("type") == "urn:altinn:systemuser":
                ref = d.get("systemuser_org") or {}
                ident = ref.get("ID") or ref.get("id")
                if isinstance(ident, str):
                    return ident.split(":")[-1]
    consumer = claims.get("consumer")
    if isinstance(consumer, dict) and isinstance(consumer.get("ID"), str):
        return consumer["ID"].split(":")[-1]
    return None
