"""A vendor's own requirement-tagged check, using the plugin's documented fixtures (run by test_plugin.py)."""

import pytest


@pytest.mark.requirement("ACME-01")
def test_vendor_can_read_all_trekkpaalegg(trekkpaalegg_client, openapi_schema, maskinporten_token, evidence, check):
    items = trekkpaalegg_client.hent_alle()
    check.step(f"{len(items)} trekkpålegg")
    assert all(openapi_schema.errors(i, "Trekkpaalegg") == [] for i in items)
    assert maskinporten_token.access_token not in str([e.to_dict() for e in evidence.exchanges])
