"""Pytest fixtures of the Trekkpålegg profile, for its checks and for vendors' own checks (registered by the
plugin): ``trekkpaalegg_client`` and ``liste``."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.profiles.trekkpaalegg.liste import Liste


def liste_of(target: Any) -> Liste:
    """The unpaged list of the target organisation, fetched once per run and held in bounded memory (items on
    disk, read back one at a time); every check that uses it relies on its calls."""
    def fetch() -> Liste:
        target.token()
        liste = target.client.les_alle()
        target.run._stack.callback(liste.close)
        return liste

    return target.once("liste", fetch)


@pytest.fixture
def trekkpaalegg_client(sbs_run: Any) -> Any:
    """A :class:`conformance.profiles.trekkpaalegg.client.TrekkpaaleggClient` with the run's token and evidence
    recording."""
    target = sbs_run.target("trekkpaalegg")
    target.token()
    return target.client


@pytest.fixture
def liste(sbs_session: Any, token: Any) -> Liste:
    """The unpaged list of the organisation; data checks skip when it is empty."""
    from conformance.outcomes import skip

    items = liste_of(sbs_session)
    if not items:
        skip("tp.data.no_test_data", org=sbs_session.settings.org)
    return items
