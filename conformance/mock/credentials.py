"""Client credentials on the mock: a generated key (kid) or test virksomhetssertifikat (x5c).

Used by the embedded run, the tests and ``mock serve``; writes PEM files a vendor's own system can use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.maskinporten.certs import certificate_pem, make_test_pki, new_rsa_key, private_key_pem
from conformance.maskinporten.grant import RegisteredClient
from conformance.mock.state import MockState

OTHER_SCOPE = "skatteetaten:testscope"  # a second scope, for the wrong-scope check


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    org: str
    private_key: rsa.RSAPrivateKey
    kid: str | None = None
    chain: tuple[x509.Certificate, ...] = ()

    def write(self, folder: Path) -> dict[str, Path]:
        """Write the key (and certificate chain) as PEM files; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        key_file = folder / "client-key.pem"
        key_file.write_bytes(private_key_pem(self.private_key))
        key_file.chmod(0o600)
        out = {"key": key_file}
        if self.chain:
            cert_file = folder / "client-cert.pem"
            cert_file.write_bytes(certificate_pem(list(self.chain)))
            out["cert"] = cert_file
        return out


def served_scopes(state: MockState) -> tuple[str, ...]:
    """The scopes of every API the mock serves, and the test scope for the wrong-scope checks."""
    return (*(p.scope for p in state.profiles()), OTHER_SCOPE)


def served_rights(state: MockState) -> frozenset[str]:
    """The Altinn resources of every API the mock serves: the rights a default system user holds."""
    return frozenset(p.altinn_resource for p in state.profiles() if p.altinn_resource)


def register_client(state: MockState, org: str, *, use_x5c: bool = False, systemuser_orgs: tuple[str, ...] = (),
                    scopes: tuple[str, ...] | None = None, token_lifetime: int | None = None,
                    client_id: str | None = None, system_id: str | None = None,
                    rights: frozenset[str] | None = None) -> ClientCredentials:
    """A client of ``org`` on the mock's Maskinporten (default: every served API's scope), with approved system
    users for the customers ``systemuser_orgs`` (default rights: every served API's resource)."""
    scopes = scopes or served_scopes(state)
    rights = rights if rights is not None else served_rights(state)
    client_id = client_id or str(uuid.uuid4())
    client = RegisteredClient(client_id=client_id, org=org, scopes=frozenset(scopes),
                              system_id=system_id or f"{org}_sbs", token_lifetime=token_lifetime)
    for customer in systemuser_orgs:
        if not state.maskinporten.system_users(client.system_id, customer):
            state.maskinporten.add_systemuser(client.system_id, customer, rights)
    if use_x5c:
        pki = make_test_pki(org)
        state.maskinporten.trusted_cas.append(pki.ca_cert)
        state.maskinporten.register_client(client)
        return ClientCredentials(client_id, org, pki.leaf_key, chain=(pki.leaf_cert, pki.ca_cert))
    key = new_rsa_key()
    kid = f"sbs-{uuid.uuid4().hex[:12]}"
    client.keys[kid] = key.public_key()
    state.maskinporten.register_client(client)
    return ClientCredentials(client_id, org, key, kid=kid)
