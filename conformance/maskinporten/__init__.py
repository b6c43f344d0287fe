"""Maskinporten: the JWT-bearer grant rules, the token client, and certificate helpers."""

from conformance.maskinporten.client import MaskinportenClient, MaskinportenError, Token
from conformance.maskinporten.grant import GrantError, SigningCredential, build_grant, verify_grant

__all__ = ["GrantError", "MaskinportenClient", "MaskinportenError", "SigningCredential", "Token", "build_grant",
           "verify_grant"]
