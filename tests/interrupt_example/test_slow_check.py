"""A vendor's check that is still running when the run is interrupted (used by tests/test_interrupts.py)."""

import os
import time
from pathlib import Path

import pytest


@pytest.mark.requirement("ACME-SLOW")
def test_slow_vendor_check(trekkpaalegg_client):
    trekkpaalegg_client.hent_alle()  # a real call: without the interruption it would pass
    Path(os.environ["SBS_TEST_MARKER"]).write_text("running")
    time.sleep(120)
