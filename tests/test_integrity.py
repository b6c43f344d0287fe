"""manifest.json, detached JWS signature, and verify."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from conformance.integrity import verify_folder, write_manifest
from conformance.maskinporten.certs import new_rsa_key, private_key_pem


def folder_with_files(tmp_path):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "report.html").write_text("<p>rapport</p>")
    (tmp_path / "evidence" / "001.json").write_text("{}")
    return tmp_path


def test_unsigned_manifest_lists_every_file_and_verifies(tmp_path):
    folder = folder_with_files(tmp_path)
    write_manifest(folder, "run1", {"spec": "ab" * 32, "catalogue": "cd" * 32, "config": None})
    import json

    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"report.html", "evidence/001.json"} and manifest["inputs"]["spec"]
    v = verify_folder(folder)
    assert v.ok and v.signature == "absent"


def test_one_byte_change_missing_and_extra_files_are_detected(tmp_path):
    folder = folder_with_files(tmp_path)
    write_manifest(folder, "run1", {})
    data = bytearray((folder / "report.html").read_bytes())
    data[3] ^= 0x01
    (folder / "report.html").write_bytes(bytes(data))
    (folder / "evidence" / "001.json").unlink()
    (folder / "extra.txt").write_text("x")
    v = verify_folder(folder)
    assert (v.changed, v.missing, v.extra, v.ok) == (["report.html"], ["evidence/001.json"], ["extra.txt"], False)


def test_signed_manifest_verifies_and_detects_tampering(tmp_path):
    folder = folder_with_files(tmp_path)
    key = new_rsa_key()
    key_file = tmp_path.parent / "sign.pem"
    key_file.write_bytes(private_key_pem(key))
    pub = tmp_path.parent / "sign.pub.pem"
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    write_manifest(folder, "run1", {}, sign_key=key_file)
    assert (folder / "manifest.jws").read_text().count(".") == 2 and ".." in (folder / "manifest.jws").read_text()
    v = verify_folder(folder, pub)
    assert v.ok and v.signature == "valid" and v.signer
    other = tmp_path.parent / "other.pub.pem"
    other.write_bytes(new_rsa_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    wrong = verify_folder(folder, other)
    assert (wrong.signature, wrong.code) == ("other-key", 7) and wrong.signer == v.signer != wrong.expected_signer
    manifest = (folder / "manifest.json").read_text().replace('"run1"', '"run2"')
    (folder / "manifest.json").write_text(manifest)
    assert verify_folder(folder).signature == "invalid"
    tampered = verify_folder(folder, pub)  # the right key, but the manifest changed after signing
    assert (tampered.signature, tampered.code) == ("invalid", 1)
