"""Settings: precedence (option > environment > config file > default) and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ConfigError
from conformance.settings import resolve


def test_precedence(tmp_path):
    cfg = tmp_path / "sbs.toml"
    cfg.write_text('lang = "en"\ntimeout = 5\nmax-items = 7\n[report]\nvendor = "Lønn AS"\n')
    env = {"SBS_CONFORMANCE_TIMEOUT": "9", "SBS_CONFORMANCE_MAX_ITEMS": "8"}
    s = resolve({"max_items": "11"}, env=env, config=cfg)
    assert (s.lang, s.timeout, s.max_items) == ("en", 9.0, 11)
    assert s.report == {"vendor": "Lønn AS"} and s.embedded_mock


def test_test_target_gets_the_documented_urls(tmp_path):
    key = tmp_path / "k.pem"
    key.write_text("x")
    s = resolve({"target": "test", "client_id": "c", "org": "310702641", "key": str(key), "kid": "k"}, env={})
    assert (s.base_url, s.token_url, s.issuer) == (None, "https://test.maskinporten.no/token",
                                                  "https://test.maskinporten.no/")  # each API's URL: its profile
    from conformance.profiles import get

    assert get("trekkpaalegg").base_urls["test"] == "https://api-test.sits.no"
    assert s.key == Path(key) and not s.embedded_mock


def test_flags_and_lists_from_environment():
    s = resolve({}, env={"SBS_CONFORMANCE_SYSTEMUSER": "yes", "SBS_CONFORMANCE_MOCK_FAULT": "ignore-accept"})
    assert s.systemuser and s.mock_fault == ("ignore-accept",)
    with pytest.raises(ConfigError, match="true or false"):
        resolve({}, env={"SBS_CONFORMANCE_SLOW": "maybe"})


@pytest.mark.parametrize("cli, message", [
    ({"timeout": "abc"}, "must be a float"),
    ({"lang": "de"}, "must be one of nb, en"),
    ({"key": "k.pem", "kid": "k", "cert": "c.pem", "base_url": "http://x", "token_url": "http://x/t",
      "issuer": "http://x/", "client_id": "c", "org": "310702641"}, "exactly one of --kid and --cert"),
    ({"target": "test", "client_id": "c"}, "missing --org"),
])
def test_validation_errors(cli, message):
    with pytest.raises(ConfigError, match=message):
        resolve(cli, env={})


def test_redacted_settings_never_show_the_password():
    s = resolve({}, env={"SBS_CONFORMANCE_PKCS12_PASSWORD": "hemmelig"})
    assert s.pkcs12_password == "hemmelig" and "hemmelig" not in str(s.redacted()) and "hemmelig" not in repr(s)
