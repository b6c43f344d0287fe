"""manifest.json: SHA-256 of every output file and of the inputs (spec, catalogue, config); optionally a
detached JWS signature (``manifest.jws``, RFC 7515 appendix F) made with ``--sign-key``.

``sbs-conformance verify <folder>`` recomputes every digest and checks the signature. A local signature
proves that nothing was changed after the run (integrity), not who ran it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

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


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    signature: str = "absent"  # absent | valid | invalid
    signer: str = ""  # key thumbprint
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra or self.problems) and self.signature != "invalid"


def verify_folder(folder: Path, public_key: Path | None = None) -> Verification:
    result = Verification()
    path = folder / MANIFEST
    try:
        data = path.read_bytes()
        manifest: dict[str, Any] = json.loads(data)
    except (OSError, ValueError) as exc:
        result.problems.append(f"cannot read {path}: {exc}")
        return result
    if manifest.get("format") != FORMAT:
        result.problems.append(f"{path} is not a {FORMAT} manifest")
        return result
    listed: dict[str, str] = manifest.get("files", {})
    present = {p.relative_to(folder).as_posix(): p for p in _outputs(folder)}
    for name, digest in listed.items():
        if name not in present:
            result.missing.append(name)
        elif sha256_file(present[name]) != digest:
            result.changed.append(name)
    result.extra = sorted(set(present) - set(listed))
    sig_path = folder / SIGNATURE
    if sig_path.exists():
        result.signature, result.signer = _check_signature(sig_path.read_text().strip(), data, public_key)
    return result


def _check_signature(detached: str, payload: bytes, public_key: Path | None) -> tuple[str, str]:
    header_b64, _, signature = detached.partition("..")
    token = f"{header_b64}.{_b64u(payload)}.{signature}"
    try:
        header = jwt.get_unverified_header(token)
        if public_key is not None:
            from cryptography.hazmat.primitives import serialization

            key: Any = serialization.load_pem_public_key(public_key.read_bytes())
        else:
            key = jwt.PyJWK(header["jwk"]).key
        jwt.api_jws.decode(token, key, algorithms=["RS256"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return "invalid", ""
    return "valid", str(header.get("jwk", {}).get("kid", ""))
