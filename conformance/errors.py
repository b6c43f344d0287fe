"""Error types of the tool, each with its own exit code.

Conformance failures are not exceptions of the tool: they are check results. What is raised here is a
problem with the configuration (the user must change something) or with the environment (network,
DNS, TLS, a token endpoint that fails): those must never be reported as a failure of the API.
"""

from __future__ import annotations

from typing import Any

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_LEAK = 4
EXIT_INCOMPLETE = 5
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C)
EXIT_TERMINATED = 143  # SIGTERM


class ConformanceToolError(Exception):
    """Base class: a one-line cause plus a hint for fixing it."""

    exit_code = EXIT_USAGE

    def __init__(self, cause: str, hint: str = "", message: Any = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.hint = hint
        self.message = message  # the cause as a conformance.messages.Message, for the report's language
        self.hint_message: Any = None  # the hint as a Message, where one exists

    def one_line(self) -> str:
        return f"{self.cause} (hint: {self.hint})" if self.hint else self.cause


class ConfigError(ConformanceToolError):
    """Wrong or missing configuration: option, config key, key or certificate file."""

    exit_code = EXIT_USAGE


class TargetEnvironmentError(ConformanceToolError):
    """The target or the token endpoint could not be used: unreachable, timeout, TLS, 5xx."""

    exit_code = EXIT_ENVIRONMENT


class TargetUnreachable(TargetEnvironmentError):
    """No answer at all (refused, DNS, TLS, timeout) after every attempt: trips the circuit breaker."""


class RunDeadlineReached(TargetEnvironmentError):
    """The whole run's ``--deadline`` passed: checks not finished by then are ``not_run`` ("deadline")."""


class BodyTooLarge(TargetEnvironmentError):
    """An answer longer than ``--max-body``: the call is ended, the body never held in memory."""


class TokenResponseError(TargetEnvironmentError):
    """The token endpoint answered 200 with something that is not a usable token response."""
