"""report.pdf: WeasyPrint renders the same template with print CSS (A4, running header, "Side X av Y").

WeasyPrint is the optional ``[pdf]`` extra and needs Pango from the operating system; when either is
missing, :class:`PdfUnavailable` says how to get it and the HTML report is still written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conformance.report.html import render_html
from conformance.report.pdfworker import PdfWorker
from conformance.report.weasy import import_weasyprint
from conformance.results import RunResult

INSTALL_HINT = ('pip install "sbs-conformance[pdf]" and the Pango libraries (Debian/Ubuntu: apt-get install '
                "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; macOS: brew install pango), "
                "then: sbs-conformance report <folder>")


class PdfUnavailable(Exception):
    pass


def unavailable(kind: str, text: str, *, missing: bool = True) -> str:
    """The one-line note for a PDF that was not written: the cause, and how to get it (``missing``: WeasyPrint or
    Pango is not installed; otherwise rendering failed and the folder can be rendered again)."""
    first = (text.splitlines() or [""])[0][:120]
    hint = INSTALL_HINT if missing else "sbs-conformance report <folder>"
    return f"PDF not written ({kind}: {first}); to get it: {hint}"


def write_pdf(result: RunResult, path: Path, lang: str | None = None, *,
              previews: Mapping[str, list[dict[str, Any]]] | None = None) -> Path:
    return render_pdf(result, path, lang, previews=previews)[0]


def render_pdf(result: RunResult, path: Path, lang: str | None = None, *,
               previews: Mapping[str, list[dict[str, Any]]] | None = None,
               worker: PdfWorker | None = None) -> tuple[Path, str]:
    """Write the PDF; (its path, the HTML it was rendered from: every text the PDF holds, for the leak scan)."""
    return start_pdf(result, path, lang, previews=previews, worker=worker)()


def start_pdf(result: RunResult, path: Path, lang: str | None = None, *,
              previews: Mapping[str, list[dict[str, Any]]] | None = None,
              worker: PdfWorker | None = None) -> Callable[[], tuple[Path, str]]:
    """Begin the PDF and return what finishes it: with a ``worker`` (started by the run), it lays the pages out
    while the caller writes the other outputs; without, the returned call renders it here. Finishing returns
    (its path, its HTML source) or raises :class:`PdfUnavailable`."""
    html = render_html(result, lang, pdf=True, previews=previews)
    if worker is not None:
        worker.submit(html, path, base_url=str(path.parent))

        def finish() -> tuple[Path, str]:
            worker.wait()
            return path, html

        return finish

    def here() -> tuple[Path, str]:
        try:
            weasyprint = import_weasyprint()
        except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed, Pango missing
            raise PdfUnavailable(unavailable(type(exc).__name__, str(exc))) from exc
        weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(path)
        return path, html

    return here
