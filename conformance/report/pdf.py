"""report.pdf: WeasyPrint renders the same template with print CSS (A4, running header, "Side X av Y").

WeasyPrint is the optional ``[pdf]`` extra and needs Pango from the operating system; when either is
missing, :class:`PdfUnavailable` says how to get it and the HTML report is still written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.report.html import render_html
from conformance.results import RunResult

INSTALL_HINT = ('pip install "sbs-conformance[pdf]" and the Pango libraries (Debian/Ubuntu: apt-get install '
                "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; macOS: brew install pango), "
                "then: sbs-conformance report <folder>")


class PdfUnavailable(Exception):
    pass


def write_pdf(result: RunResult, path: Path, lang: str | None = None, *,
              previews: Mapping[str, list[dict[str, Any]]] | None = None) -> Path:
    return render_pdf(result, path, lang, previews=previews)[0]


def render_pdf(result: RunResult, path: Path, lang: str | None = None, *,
               previews: Mapping[str, list[dict[str, Any]]] | None = None) -> tuple[Path, str]:
    """Write the PDF; (its path, the HTML it was rendered from: every text the PDF holds, for the leak scan)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed, Pango missing
        raise PdfUnavailable(f"PDF not written ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                             f"to get it: {INSTALL_HINT}") from exc
    html = render_html(result, lang, pdf=True, previews=previews)
    weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path, html
