"""The run's per-API view: settings and operation names follow the run's settings, made once per settings."""

from dataclasses import replace

from conformance.evidence import Evidence
from conformance.http import CallLimits
from conformance.profiles import select
from conformance.session import TargetSession
from conformance.settings import Settings


def _session(**settings) -> TargetSession:
    profiles = select("all")
    return TargetSession(Settings(target="mock", base_url="http://127.0.0.1:1", **settings), Evidence(),
                         CallLimits(), profiles, {})


def test_an_apis_settings_are_kept_and_made_again_when_the_runs_change():
    session = _session()
    target = session.target("trekkpaalegg")
    first = target.settings
    assert target.settings is first  # not made again on every call (the token client asks on each one)
    assert first.base_url == "http://127.0.0.1:1" + target.profile.mock_mount
    assert first.scope == target.profile.scope
    session.settings = replace(session.settings, base_url="http://127.0.0.1:2")  # the embedded mock started
    assert target.settings.base_url == "http://127.0.0.1:2" + target.profile.mock_mount


def test_operation_names_follow_the_apis_looked_at_and_the_runs_settings():
    session = _session()
    tp = session.target("trekkpaalegg")
    url = tp.base_url + tp.profile.api_root
    assert session.operation_of("token", url) == "token"
    assert session.operation_of("api", url).startswith("trekkpaalegg ")
    other = session.target("kravogbetalinger")
    assert session.operation_of("api", other.base_url + other.profile.api_root + "/x").startswith("kravogbetalinger ")
    session.settings = replace(session.settings, base_url="http://127.0.0.1:2/moved")
    assert session.operation_of("api", url) == "other"  # the old root is no API's root any more
    assert session.operation_of("api", tp.base_url + tp.profile.api_root).startswith("trekkpaalegg ")
