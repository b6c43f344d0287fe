"""How a check ends: helpers that raise an outcome with a message id, and the one mapping from an exception
(raised by a check or by its fixtures) to (status, message, error kind).

Checks write ``expect(response.status_code == 401, "tp.auth.no_token", got=response.status_code)`` instead
of a bare ``assert``, so the report can say it in either language. A vendor's plain ``assert`` still works:
its text is kept as free text.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.errors import ConfigError, ConformanceToolError, RunDeadlineReached, TargetEnvironmentError
from conformance.messages import Message


class CheckFailed(AssertionError):
    """A check's requirement is not met; carries the message."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


class AssumptionNotMet(CheckFailed):
    """The target differs from a named assumption, not from the documentation: a warning that names it (a
    failure with --strict-assumptions)."""

    def __init__(self, assumption: str, message: Message) -> None:
        super().__init__(message)
        self.assumption = assumption


class CheckSkipped(pytest.skip.Exception):  # type: ignore[misc, name-defined]
    """A documented skip with its reason (e.g. no test data yet): ``skipped``, never ``not_run``."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


class CheckNotRun(pytest.skip.Exception):  # type: ignore[misc, name-defined]
    """The check did not run or finish (deadline, interruption): ``not_run`` with the reason."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


def fail(message_id: str, **params: Any) -> None:
    raise CheckFailed(Message(message_id, params))


def expect(condition: object, message_id: str, **params: Any) -> None:
    """Fail with the message unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(Message(message_id, params))


def skip(message_id: str, **params: Any) -> None:
    raise CheckSkipped(Message(message_id, params))


def tool_error_message(exc: ConformanceToolError) -> Message:
    """An error of the tool or the environment, framed in the report's language."""
    text: Message = exc.message or Message.text(exc.cause)
    if exc.hint:
        text = Message("run.with_hint", {"text": text, "hint": exc.hint_message or exc.hint})
    if isinstance(exc, TargetEnvironmentError):
        return Message("run.environment_error", {"cause": text})
    return Message("run.config_error" if isinstance(exc, ConfigError) else "run.tool_error", {"cause": text})


def classify(exc: BaseException, deadline: float | None = None,
             strict_assumptions: bool = False) -> tuple[str, Message, str | None]:
    """(status, message, error kind) for an exception that ended a check."""
    if isinstance(exc, AssumptionNotMet):
        message = Message("run.assumption_not_met", {"id": exc.assumption, "detail": exc.message})
        return ("failed" if strict_assumptions else "warning"), message, None
    if isinstance(exc, RunDeadlineReached):
        return "not_run", Message("run.deadline", {"seconds": f"{deadline:g}" if deadline else "?"}), None
    if isinstance(exc, CheckNotRun):
        return "not_run", exc.message, None
    if isinstance(exc, CheckSkipped):
        return "skipped", exc.message, None
    if isinstance(exc, pytest.skip.Exception):  # type: ignore[attr-defined]
        return "skipped", Message.text(str(exc.msg or "").removeprefix("Skipped: ")), None
    if isinstance(exc, CheckFailed):
        return "failed", exc.message, None
    if isinstance(exc, ConformanceToolError):
        kind = "environment" if isinstance(exc, TargetEnvironmentError) else "config"
        return "error", tool_error_message(exc), kind
    if isinstance(exc, AssertionError):  # a vendor's plain assert: its first line, as free text
        text = str(exc).split("\nassert ")[0].strip() or "assertion failed"
        return "failed", Message.text(text), None
    message = getattr(exc, "message", None)
    if isinstance(message, Message) and getattr(exc, "is_conformance_failure", False):
        return "failed", message, None  # ApiError, UnexpectedBody: what the API answered
    return "error", Message("run.tool_error", {"cause": f"{type(exc).__name__}: {exc}".strip()}), "tool"
