"""A vendor's check that keeps calling the API until the run's ``--deadline`` stops it (tests/test_bounds.py): the
run cannot finish before its deadline on any machine, however fast."""

import pytest


@pytest.mark.requirement("ACME-BUSY")
def test_busy_vendor_check(trekkpaalegg_client):
    while True:  # every call is bounded by the run's deadline: the call after it raises, and the check ends
        trekkpaalegg_client.hent_alle()
