"""The Utleggstrekk client judges (UTT-SBS-*): the event-list consumer's judgements shared by every API with a
list (:mod:`conformance.clientcheck.eventlist`), the state held, deleted months removed, on top of those every
client check shares (:mod:`conformance.clientcheck.judge`). The state file is described in :mod:`.scenarios`."""

from __future__ import annotations

from typing import Any, ClassVar

from conformance.clientcheck import eventlist
from conformance.clientcheck.judge import Judges, Verdict, fail, synced
from conformance.clientcheck.runner import Poll, ScenarioRun
from conformance.messages import Message
from conformance.profiles.utleggstrekk import LOOKUP_MOUNT
from conformance.profiles.utleggstrekk.scenarios import START_DATO

FIELDS = ("opplysningspliktig", "trekkbeloep")


def held(poll: Poll) -> dict[str, Any]:
    state = poll.state or {}
    value = state.get("utleggstrekk")
    return value if isinstance(value, dict) else {}


def mismatch(poll: Poll) -> Message | None:
    got, want = held(poll), poll.truth["held"]
    missing = sorted(set(want) - set(got))
    if missing:
        return Message("cc.utt.missing", {"poll": poll.number, "key": missing[0], "count": len(missing)})
    extra = sorted(set(got) - set(want) - set(poll.truth["deleted"]))
    if extra:
        return Message("cc.utt.extra", {"poll": poll.number, "key": extra[0], "count": len(extra)})
    wrong = [k for k, v in want.items() if not isinstance(got[k], dict)
             or any(got[k].get(f) != v[f] for f in FIELDS)]
    if wrong:
        return Message("cc.utt.differs", {"poll": poll.number, "key": wrong[0]})
    watermark = (poll.state or {}).get("watermark")
    if watermark != poll.truth_watermark:
        return Message("cc.utt.watermark", {"poll": poll.number, "got": watermark, "want": poll.truth_watermark})
    return None


def deleted_removed(run: ScenarioRun) -> Verdict:
    for poll in run.polls:
        kept = sorted(set(poll.truth["deleted"]) & set(held(poll)))
        if kept:
            return fail("cc.utt.deleted_kept", poll=poll.number, key=kept[0])
    return synced(run, mismatch)


def _lookup_key(call: dict[str, Any]) -> str | None:
    if not call["path"].startswith(LOOKUP_MOUNT + "/"):
        return None
    parts = call["path"].rstrip("/").split("/")
    month = (call.get("query") or {}).get("fraOgMed", "")
    return f"{parts[-1]}|{month}"


def lookup_01(run: ScenarioRun) -> Verdict:
    return eventlist.lookups_only_for_new_events(run, _lookup_key)


class UtleggstrekkJudges(Judges):
    MAP: ClassVar[dict[str, Any]] = {
        "UTT-SBS-AUTH-01": "grants_valid", "UTT-SBS-AUTH-02": "tokens_reused",
        "UTT-SBS-AUTH-03": "renews_after_401",
        "UTT-SBS-START-01": lambda run: eventlist.starts_from_date(run, START_DATO),
        "UTT-SBS-HEND-01": eventlist.inclusive_cursor, "UTT-SBS-LOOKUP-01": lookup_01,
        "UTT-SBS-DEL-01": deleted_removed, "UTT-SBS-STATE-01": "state_right",
        "UTT-SBS-ROB-01": "tolerates_unknown_fields", "UTT-SBS-OPS-01": "max_five_concurrent",
    }

    def mismatch(self, poll: Poll) -> Message | None:
        return mismatch(poll)


JUDGES = UtleggstrekkJudges()
