"""Progress on the terminal while a run goes: one line per requirement as soon as its last check ended.

``[ 5/28]   1.2s  PASSED    TP-AUTH-05  <title in the report's language>``, with the status coloured on a
terminal only (pytest's terminal writer decides: a TTY, ``NO_COLOR``/``FORCE_COLOR``); in CI the lines are
plain. The status is the one the report will show, waivers included.
"""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
import time
from typing import Any

from conformance.assemble import Outcome, check_result, status_of

MARKUP = {"passed": {"green": True}, "failed": {"red": True, "bold": True}, "error": {"red": True},
          "warning": {"yellow": True}, "waived": {"cyan": True}, "skipped": {"cyan": True}, "not_run": {"cyan": True}}
LABEL = {"not_run": "NOT RUN"}


class Progress:
    def __init__(self, reporter: Any, selected: dict[str, list[str]], prepared: Any) -> None:
        self.reporter = reporter
        self.lang = prepared.settings.lang
        self.catalogue = prepared.catalogue
        self.prefixes = prepared.prefixes
        today = dt.date.today()
        self.waived = {w.id for w in prepared.waivers if w.expires >= today}
        self.pending: dict[str, set[str]] = {}
        for nodeid, ids in selected.items():
            for rid in ids:
                self.pending.setdefault(rid, set()).add(nodeid)
        order = [r for r in self.catalogue.ids if r in self.pending] + [r for r in self.pending
                                                                         if self.catalogue.get(r) is None]
        self.total = len(order)
        self.done: dict[str, list[Any]] = {}
        self.count = 0
        self.t0 = time.monotonic()

    def check_done(self, outcome: Outcome) -> None:
        result = check_result(outcome, self.catalogue, self.lang, self.prefixes)
        for rid in outcome.requirements:
            waiting = self.pending.get(rid)
            if waiting is None:
                continue
            waiting.discard(outcome.nodeid)
            self.done.setdefault(rid, []).append(result)
            if not waiting:
                del self.pending[rid]
                self._line(rid)

    def _line(self, rid: str) -> None:
        req = self.catalogue.get(rid)
        checks = self.done[rid]
        status = status_of(req.severity if req else "required", checks)
        if status in ("failed", "error", "warning") and rid in self.waived:
            status = "waived"
        self.count += 1
        title = req.title(self.lang) if req else checks[0].name
        prefix = f"[{self.count:>{len(str(self.total))}}/{self.total}] {time.monotonic() - self.t0:6.1f}s  "
        word = LABEL.get(status, status.upper())
        head = f"  {rid}  "
        tw = self.reporter._tw
        if tw.hasmarkup:  # a terminal: keep each requirement on one line
            width = shutil.get_terminal_size((120, 24)).columns
            room = width - len(prefix) - 9 - len(head) - 1
            title = textwrap.shorten(title, max(room, 20), placeholder=" …")
        self.reporter.ensure_newline()
        self.reporter.write(prefix)
        self.reporter.write(f"{word:<8}", **MARKUP.get(status, {}))
        self.reporter.write(f"{head}{title}\n", flush=True)

    def finish(self, result: Any) -> None:
        """Nothing more is printed here: the CLI's verdict block follows."""
        self.reporter.ensure_newline()
