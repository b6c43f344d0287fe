"""Keys and virksomhetssertifikater: loading them, reading the orgnr, and making test ones.

The orgnr is read from the certificate subject the way Digdir's certificate validator does:
``serialNumber`` (SEID 1), ``organizationIdentifier`` ``NTRNO-<orgnr>`` (SEID 2), or ``O = "Name - <orgnr>"``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conformance.errors import ConfigError

_ORG_IDENTIFIER = re.compile(r"^(?:NTRNO-|PSDNO-FSA-)?([0-9]{9})$")
_O_WITH_ORGNR = re.compile(r"-\s*([0-9]{9})\s*$")


def orgnr_from_certificate(cert: x509.Certificate) -> str | None:
    subject = cert.subject
    for attr in subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER):
        m = _ORG_IDENTIFIER.match(str(attr.value))
        if m:
            return m.group(1)
    for attr in subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        if re.fullmatch(r"[0-9]{9}", str(attr.value)):
            return str(attr.value)
    for attr in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME):
        m = _O_WITH_ORGNR.search(str(attr.value))
        if m:
            return m.group(1)
    return None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} file not found: {path}", "check the path given to the option") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} file {path}: {exc.strerror}", "check file permissions") from exc


def load_private_key(path: Path, password: bytes | None = None) -> rsa.RSAPrivateKey:
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a readable PEM private key ({exc.__class__.__name__})",
                          "give an unencrypted PKCS#8 or PKCS#1 PEM RSA key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{path} holds a {type(key).__name__}, not an RSA key",
                          "Maskinporten accepts RS256/RS384/RS512 only: use an RSA key")
    return key


def load_certificate_chain(path: Path) -> list[x509.Certificate]:
    data = _read(path, "certificate")
    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConfigError(f"{path} holds no PEM certificate", "give the PEM chain, signing certificate first") from exc
    return chain


def load_pkcs12(path: Path, password: bytes | None) -> tuple[rsa.RSAPrivateKey, list[x509.Certificate]]:
    data = _read(path, "PKCS#12")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise ConfigError(f"cannot open PKCS#12 file {path}: wrong password or not PKCS#12",
                          "set SBS_CONFORMANCE_PKCS12_PASSWORD") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise ConfigError(f"{path} has no RSA key with a certificate", "use the signing virksomhetssertifikat")
    return key, [cert, *extra]


def key_matches_certificate(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bool:
    return cert.public_key().public_numbers() == key.public_key().public_numbers()


def new_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def certificate_pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass(frozen=True)
class TestPki:
    """A throw-away CA and a virksomhetssertifikat-like leaf for one organisation (for the mock)."""

    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    leaf_cert: x509.Certificate


def _name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def make_test_pki(orgnr: str, org_name: str = "TEST VIRKSOMHET AS", *, seid2: bool = True,
                  valid_days: int = 365, not_before: dt.datetime | None = None) -> TestPki:
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key, leaf_key = new_rsa_key(), new_rsa_key()
    ca_name = _name((NameOID.COUNTRY_NAME, "NO"), (NameOID.ORGANIZATION_NAME, "sbs-conformance test CA"),
                    (NameOID.COMMON_NAME, "sbs-conformance Test CA"))
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    org_attr = ((NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{orgnr}") if seid2
                else (NameOID.SERIAL_NUMBER, orgnr))
    leaf_name = _name((NameOID.COUNTRY_NAME, "NO"), (NameOID.ORGANIZATION_NAME, org_name), org_attr,
                      (NameOID.COMMON_NAME, org_name))
    leaf_cert = (
        x509.CertificateBuilder().subject_name(leaf_name).issuer_name(ca_name).public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return TestPki(ca_key, ca_cert, leaf_key, leaf_cert)
