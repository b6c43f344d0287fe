"""report.pdf rendered by a worker process that imports WeasyPrint while the checks run.

Importing WeasyPrint (about half a second of CPU) is work the checks do not need: in a process of its own it
overlaps the checks on a machine with more than one core instead of adding to the run's wall time, and the layout
then overlaps writing the other outputs. :meth:`PdfWorker.start` starts it; it renders one document and ends.

Protocol: the worker's stdin gets one JSON line (``path``, ``base_url``) and then the HTML (UTF-8) up to EOF; its
stdout answers one JSON line: ``{"ok": true}`` or ``{"ok": false, "kind": ..., "text": ..., "missing": ...}``
(``missing``: WeasyPrint or Pango could not be loaded). A worker whose
parent dies sees EOF with nothing to render and ends.

    python -m conformance.report.pdfworker
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from pathlib import Path

from conformance.processes import exit_now, own_group
from conformance.report.weasy import import_weasyprint

RENDER_TIMEOUT = 600.0  # seconds: a report of many thousand pages still renders; a hung worker does not hang us


class PdfWorker:
    """One started worker: :meth:`submit` hands it the document, :meth:`wait` waits for the PDF, :meth:`close`
    ends it if it still runs."""

    def __init__(self, proc: subprocess.Popen[bytes], timeout: float = RENDER_TIMEOUT) -> None:
        self._proc, self.timeout = proc, timeout

    @classmethod
    def start(cls) -> PdfWorker | None:
        """A worker importing WeasyPrint from now on, or None when no process can be started (then the PDF is
        rendered in this process)."""
        try:
            proc = subprocess.Popen([sys.executable, "-m", "conformance.report.pdfworker"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, **own_group())
        except OSError:
            return None
        return cls(proc)

    def submit(self, html: str, path: Path, base_url: str) -> None:
        """Hand the worker the document to write to ``path``; :meth:`wait` for it."""
        request = json.dumps({"path": str(path), "base_url": base_url}).encode() + b"\n" + html.encode("utf-8")
        self._answer: tuple[bytes, bytes] | BaseException | None = None
        # A thread talks to the worker: the request can exceed the pipe's buffer while the worker is still busy
        # importing, and the caller meanwhile writes the run's other outputs.
        self._talk = threading.Thread(target=self._communicate, args=(request,), daemon=True, name="sbs-pdf")
        self._talk.start()

    def _communicate(self, request: bytes) -> None:
        try:
            self._answer = self._proc.communicate(request, timeout=self.timeout)
        except BaseException as exc:
            self._answer = exc

    def wait(self) -> None:
        """Until the PDF is written; :class:`~conformance.report.pdf.PdfUnavailable` says why it was not."""
        from conformance.report.pdf import PdfUnavailable, unavailable

        self._talk.join()
        answer = self._answer
        if isinstance(answer, subprocess.TimeoutExpired):
            self.close()
            raise PdfUnavailable(unavailable("TimeoutExpired", f"the PDF took more than {self.timeout:.0f} s",
                                             missing=False))
        if isinstance(answer, BaseException) or answer is None:  # e.g. the worker died before reading
            self.close()
            raise PdfUnavailable(unavailable(type(answer).__name__, str(answer), missing=False))
        out, err = answer
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            reply = json.loads(lines[-1]) if lines else {}
        except ValueError:
            reply = {}
        if reply.get("ok") is True:
            return
        last = (err.decode("utf-8", "replace").strip().splitlines() or ["no answer"])[-1]
        raise PdfUnavailable(unavailable(reply.get("kind") or f"exit {self._proc.returncode}",
                                         reply.get("text") or last, missing=reply.get("missing") is True))

    def close(self) -> None:
        """End the worker if it still runs (a run that writes no PDF after all)."""
        if self._proc.poll() is None:
            with contextlib.suppress(OSError):
                self._proc.kill()
            self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _reply(**fields: object) -> int:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()
    return 0 if fields.get("ok") else 1


def main() -> int:
    try:
        weasyprint = import_weasyprint()
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed, Pango missing
        problem: Exception | None = exc
    else:
        problem = None
    request = sys.stdin.buffer.read()
    if not request:  # the parent ended without a document
        return 0
    if problem is not None:
        return _reply(ok=False, kind=type(problem).__name__, text=str(problem), missing=True)
    header, _, html = request.partition(b"\n")
    try:
        job = json.loads(header)
        weasyprint.HTML(string=html.decode("utf-8"), base_url=job["base_url"]).write_pdf(job["path"])
    except Exception as exc:
        return _reply(ok=False, kind=type(exc).__name__, text=str(exc))
    return _reply(ok=True)


if __name__ == "__main__":
    exit_now(main())  # the PDF is closed by then (write_pdf writes it in a with), the answer flushed
