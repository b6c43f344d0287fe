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


def _signed_run(tmp_path):
    from conftest import run_cli

    key = new_rsa_key()
    (tmp_path / "sign.pem").write_bytes(private_key_pem(key))
    (tmp_path / "sign.pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _, _, output = run_cli("run", "--no-pdf", "--sign-key", str(tmp_path / "sign.pem"), "--out",
                              str(tmp_path / "o"), "--", "-k", "no_token")
    assert (tmp_path / "o" / "manifest.jws").exists(), output
    return tmp_path / "o", tmp_path / "sign.pub.pem"


def test_verify_requires_the_signature_when_a_key_is_given(tmp_path):
    """Removing manifest.jws and rewriting a digest must not pass with --key."""
    import hashlib
    import json

    from conftest import run_cli

    folder, pub = _signed_run(tmp_path)
    assert run_cli("verify", str(folder), "--key", str(pub))[0] == 0
    results = folder / "results.json"
    results.write_text(results.read_text().replace('"verdict": "incomplete"', '"verdict": "passed"'))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["results.json"] = hashlib.sha256(results.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "manifest.jws").unlink()
    code, _, output = run_cli("verify", str(folder), "--key", str(pub))
    assert code == 7 and "no signature" in output and "--key requires one" in output


def test_verify_names_each_problem_with_its_own_exit_code(tmp_path):
    from conftest import run_cli

    folder, _ = _signed_run(tmp_path)
    other = tmp_path / "other.pub.pem"
    other.write_bytes(new_rsa_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    code, _, output = run_cli("verify", str(folder), "--key", str(other))
    assert code == 7 and "signed with another key" in output and "changed after the run" not in output
    code, _, output = run_cli("verify", str(tmp_path / "nope"))
    assert code == 2 and "no such folder" in output and "Traceback" not in output
    code, _, output = run_cli("verify", str(folder), "--key", str(tmp_path / "missing.pem"))
    assert code == 6 and "key file not found" in output
    (tmp_path / "junk.pem").write_text("junk")
    code, _, output = run_cli("verify", str(folder), "--key", str(tmp_path / "junk.pem"))
    assert code == 6 and "no RSA public key" in output
    (folder / "manifest.json").write_text("{not json")
    code, _, output = run_cli("verify", str(folder))
    assert code == 8 and "not valid JSON" in output and "changed after the run" not in output
    (folder / "manifest.json").unlink()
    code, _, output = run_cli("verify", str(folder))
    assert code == 8 and "has no manifest.json" in output
