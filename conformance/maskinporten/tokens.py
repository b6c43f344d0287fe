"""Reading Maskinporten access tokens: shared by the mock (to serve data) and the checks (to judge)."""

from __future__ import annotations

from typing import Any


def _systemuser_detail(claims: dict[str, Any]) -> dict[str, Any] | None:
    details = claims.get("authorization_details")
    if isinstance(details, dict):  # Altinn's parser accepts the single-object form too
        details = [details]
    if isinstance(details, list):
        for d in details:
            if isinstance(d, dict) and d.get("type") == "urn:altinn:systemuser":
                return d
    return None


def systemuser_id(claims: dict[str, Any]) -> str | None:
    """The system user's id of a systembruker token (``systemuser_id`` is a list of one UUID)."""
    detail = _systemuser_detail(claims)
    ids = (detail or {}).get("systemuser_id")
    if isinstance(ids, list) and ids and isinstance(ids[0], str):
        return ids[0]
    return None


def token_org(claims: dict[str, Any]) -> str | None:
    """The trekkpliktig: ``systemuser_org`` of a systembruker token, else the ``consumer``."""
    detail = _systemuser_detail(claims)
    if detail is not None:
        ref = detail.get("systemuser_org") or {}
        ident = ref.get("ID") or ref.get("id")
        if isinstance(ident, str):
            return ident.split(":")[-1]
    consumer = claims.get("consumer")
    if isinstance(consumer, dict) and isinstance(consumer.get("ID"), str):
        return consumer["ID"].split(":")[-1]
    return None
