"""Error types of the tool, each with its own exit code.

Conformance failures are not exceptions of the tool: they are check results. What is raised here is a
problem with the configuration (the user must change something) or with the environment (network,
DNS, TLS, a token endpoint that fails): those must never be reported as a failure of the API.
"""

from __future__ import annotations

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_LEAK = 4
EXIT_INTERRUPTED = 130


class ConformanceToolError(Exception):
    """Base class: a one-line cause plus a hint for fixing it."""

    exit_code = EXIT_USAGE

    def __init__(self, cause: str, hint: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.cause} (hint: {self.hint})" if self.hint else self.cause


class ConfigError(ConformanceToolError):
    """Wrong or missing configuration: option, config key, key or certificate file."""

    exit_code = EXIT_USAGE


class TargetEnvironmentError(ConformanceToolError):
    """The target or the token endpoint could not be used: unreachable, timeout, TLS, 5xx."""

    exit_code = EXIT_ENVIRONMENT
