"""manifest.json: SHA-256 of every output file and of the inputs (spec, catalogue, config); optionally a
detached JWS signature (``manifest.jws``, RFC 7515 appendix F) made with ``--sign-key``.

``sbs-conformance verify <folder>`` recomputes every digest and checks the signature. A local signature
proves that nothing was changed after the run (integrity), not who ran it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.errors import EXIT_USAGE, ConformanceToolError
from conformance.maskinporten.certs import load_private_key

MANIFEST = "manifest.json"
SIGNATURE = "manifest.jws"
FORMAT = "sbs-conformance/manifest/1"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _outputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (MANIFEST, SIGNATURE))


def write_manifest(folder: Path, run_id: str, inputs: dict[str, str | None], sign_key: Path | None = None) -> Path:
    """Digest every file in ``folder`` (except the manifest itself); sign when a key is given."""
    manifest = {
        "format": FORMAT,
        "run_id": run_id,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "algorithm": "sha256",
        "files": {p.relative_to(folder).as_posix(): sha256_file(p) for p in _outputs(folder)},
        "inputs": inputs,
    }
    path = folder / MANIFEST
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    path.write_bytes(data)
    (folder / SIGNATURE).unlink(missing_ok=True)
    if sign_key is not None:
        key = load_private_key(sign_key)
        (folder / SIGNATURE).write_text(sign_detached(data, key) + "\n", encoding="ascii")
    return path


def _b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    from conformance.mock.maskinporten import public_jwk

    jwk = public_jwk(key, "")
    jwk.pop("kid")
    thumb = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    jwk["kid"] = _b64u(hashlib.sha256(thumb.encode()).digest())  # RFC 7638 thumbprint
    return jwk


def sign_detached(payload: bytes, key: rsa.RSAPrivateKey) -> str:
    token = jwt.api_jws.encode(payload, key, algorithm="RS256", headers={"jwk": _public_jwk(key.public_key())})
    header, _, signature = token.split(".")
    return f"{header}..{signature}"


VERIFY_OK = 0
VERIFY_CHANGED = 1  # a file changed, is missing or extra, or the manifest changed after it was signed
VERIFY_KEY = 6  # --key is missing, unreadable or not a key
VERIFY_SIGNATURE = 7  # a signature was required (--key) and is missing, or it was made with another key
VERIFY_MANIFEST = 8  # manifest.json is missing or malformed


class VerifyError(ConformanceToolError):
    """verify cannot judge the folder at all: no folder, no usable key, no readable manifest."""

    def __init__(self, exit_code: int, cause: str, hint: str = "") -> None:
        super().__init__(cause, hint)
        self.exit_code = exit_code


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    signature: str = "absent"  # absent | valid | invalid | missing (required) | other-key
    signer: str = ""  # key thumbprint of the signature
    expected_signer: str = ""  # thumbprint of the key given with --key
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == VERIFY_OK

    @property
    def code(self) -> int:
        if self.signature in ("missing", "other-key"):
            return VERIFY_SIGNATURE
        if self.changed or self.missing or self.extra or self.problems or self.signature == "invalid":
            return VERIFY_CHANGED
        return VERIFY_OK


def thumbprint(key: rsa.RSAPublicKey) -> str:
    return _public_jwk(key)["kid"]


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    """The public key to verify with: a PEM public key, a certificate, or a private key (its public half)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise VerifyError(VERIFY_KEY, f"key file not found: {path}", "give the public key (PEM) the run was "
                          "signed with") from exc
    except OSError as exc:
        raise VerifyError(VERIFY_KEY, f"cannot read key file {path}: {exc.strerror}", "check the path") from exc
    key: Any = None
    for load in (lambda: serialization.load_pem_public_key(data),
                 lambda: x509.load_pem_x509_certificate(data).public_key(),
                 lambda: serialization.load_pem_private_key(data, password=None).public_key()):
        with contextlib.suppress(ValueError, TypeError):
            key = load()
            break
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerifyError(VERIFY_KEY, f"{path} holds no RSA public key, certificate or private key (PEM)",
                          "give the PEM public key of the signing key")
    return key


def verify_folder(folder: Path, public_key: Path | None = None) -> Verification:
    """Recompute every digest and check the signature. With ``public_key`` a signature made with that key is
    required. Raises :class:`VerifyError` when the folder cannot be judged at all."""
    if not folder.is_dir():
        raise VerifyError(EXIT_USAGE, f"no such folder: {folder}" if not folder.exists() else f"{folder} is a file",
                          "give the output folder of a run")
    key = load_public_key(public_key) if public_key is not None else None
    result = Verification(expected_signer=thumbprint(key) if key is not None else "")
    path = folder / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise VerifyError(VERIFY_MANIFEST, f"{folder} has no {MANIFEST}",
                          "is this the output folder of a run?") from exc
    try:
        manifest: Any = json.loads(data)
    except ValueError as exc:
        raise VerifyError(VERIFY_MANIFEST, f"{path} is not valid JSON ({exc})", "the manifest is damaged") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"),
                                                                                           dict):
        raise VerifyError(VERIFY_MANIFEST, f"{path} is not a {FORMAT} manifest", "the manifest is damaged")
    listed: dict[str, Any] = manifest["files"]
    present = {p.relative_to(folder).as_posix(): p for p in _outputs(folder)}
    for name, digest in listed.items():
        if name not in present:
            result.missing.append(name)
        elif sha256_file(present[name]) != digest:
            result.changed.append(name)
    result.extra = sorted(set(present) - set(listed))
    sig_path = folder / SIGNATURE
    if sig_path.exists():
        result.signature, result.signer = _check_signature(sig_path.read_text().strip(), data, key)
    elif key is not None:
        result.signature = "missing"
    return result


def _check_signature(detached: str, payload: bytes, key: rsa.RSAPublicKey | None) -> tuple[str, str]:
    header_b64, _, signature = detached.partition("..")
    token = f"{header_b64}.{_b64u(payload)}.{signature}"
    try:
        header = jwt.get_unverified_header(token)
        signer = str((header.get("jwk") or {}).get("kid", ""))
        if key is not None and signer and signer != thumbprint(key):
            return "other-key", signer
        jwt.api_jws.decode(token, key if key is not None else jwt.PyJWK(header["jwk"]).key, algorithms=["RS256"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError, AttributeError):
        return "invalid", ""
    return "valid", signer
