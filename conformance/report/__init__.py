"""Renderers of RunResult for people: HTML (and, with the [pdf] extra, PDF)."""
