"""The bundled checks: pytest tests tagged with @pytest.mark.requirement, run by ``sbs-conformance run``.

These are product, not tests of the product: they judge a target (the mock or Skatteetaten's test
environment). The repository's own tests live in ``tests/``.
"""
