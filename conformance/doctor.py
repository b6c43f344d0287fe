"""``sbs-conformance doctor``: find what is wrong with a setup before running the suite, and say how to fix it.

Each finding is OK, WARN or FAIL with a one-line fix. Nothing here runs a check of the API.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509

from conformance.errors import EXIT_ENVIRONMENT, EXIT_PASSED, EXIT_USAGE, ConformanceToolError
from conformance.maskinporten.certs import key_matches_certificate, orgnr_from_certificate
from conformance.maskinporten.grant import CLOCK_SKEW
from conformance.preflight import Prepared, load_credential
from conformance.profiles import select
from conformance.session import TargetSession
from conformance.settings import Settings
from conformance.spec import load_spec

CERT_WARN_DAYS = 30


@dataclass(frozen=True)
class Finding:
    level: str  # OK, WARN, FAIL
    topic: str
    text: str
    fix: str = ""
    kind: str = "config"  # for FAIL: "config" or "environment"


@dataclass
class Doctor:
    settings: Settings
    findings: list[Finding] = field(default_factory=list)
    now: Callable[[], float] = time.time

    def add(self, level: str, topic: str, text: str, fix: str = "", kind: str = "config") -> None:
        self.findings.append(Finding(level, topic, text, fix, kind))

    # -- the examinations ------------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        credential, problem = None, None
        if not self.settings.embedded_mock:
            try:
                credential = load_credential(self.settings)
            except ConformanceToolError as exc:
                problem = exc
        profiles = select(self.settings.api)
        specs = {p.name: load_spec(self.settings.spec, p) if self.settings.spec else load_spec(profile=p)
                 for p in profiles}
        session = TargetSession.start(Prepared(self.settings, "doctor", dt.datetime.now(dt.UTC), Path("."), specs,
                                               credential, profiles=profiles))
        try:
            s = session.settings
            self.add("OK", "configuration", f"target {s.target}{' (embedded mock)' if s.embedded_mock else ''}, "
                     f"API {', '.join(p.name for p in profiles)}, org {s.org}, {s.auth_alternative}, "
                     f"{s.credential_kind}")
            credential_ok = self.credentials(session, problem)
            reachable = [self.reachable(f"API {p.name}" if len(profiles) > 1 else "API", session.base_url(p))
                         for p in profiles]
            reachable.append(self.reachable("Maskinporten", s.token_url or ""))
            if all(reachable):
                self.clock(s.token_url or "")
                if credential_ok:
                    for profile in profiles:
                        self.token(session, profile.scope)
        finally:
            session.close()
        return self.findings

    def credentials(self, session: TargetSession, problem: ConformanceToolError | None = None) -> bool:
        if problem is not None:
            self.add("FAIL", "credential", problem.cause, problem.hint)
            return False
        credential = session.credential
        s = session.settings
        if not credential.x5c:
            self.add("OK", "credential", f"RSA key ({credential.private_key.key_size} bits) with kid {credential.kid}")
            return True
        leaf: x509.Certificate = credential.x5c[0]
        subject = leaf.subject.rfc4514_string()
        ok = True
        if not key_matches_certificate(credential.private_key, leaf):
            self.add("FAIL", "certificate", "the private key does not belong to the signing certificate",
                     "use the key of the first certificate in the chain (the signing certificate)")
            ok = False
        days = (leaf.not_valid_after_utc - dt.datetime.fromtimestamp(self.now(), dt.UTC)).days
        if days < 0:
            self.add("FAIL", "certificate", f"expired on {leaf.not_valid_after_utc:%Y-%m-%d} ({subject})",
                     "order a new virksomhetssertifikat (test certificate for the test environment)")
            ok = False
        elif days < CERT_WARN_DAYS:
            self.add("WARN", "certificate", f"expires in {days} days ({leaf.not_valid_after_utc:%Y-%m-%d})",
                     "renew it before it runs out")
        else:
            self.add("OK", "certificate", f"valid until {leaf.not_valid_after_utc:%Y-%m-%d} ({subject})")
        orgnr = orgnr_from_certificate(leaf)
        if orgnr is None:
            self.add("FAIL", "certificate", "no organisation number in the subject (serialNumber, "
                     "organizationIdentifier NTRNO-..., or O)", "use a Norwegian virksomhetssertifikat or eSeal")
            ok = False
        elif not s.systemuser and orgnr != s.org:
            self.add("WARN", "certificate", f"certificate organisation {orgnr} is not --org {s.org}",
                     "with alternativ 1 the token's organisation is the certificate's; use --systemuser to act "
                     "for another organisation (MP-122 if the client belongs to yet another one)")
        else:
            self.add("OK", "certificate", f"organisation number {orgnr} in the subject")
        return ok

    def reachable(self, what: str, url: str) -> bool:
        parsed = httpx.URL(url)
        host, port = parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            socket.getaddrinfo(host, port)
        except socket.gaierror as exc:
            self.add("FAIL", what, f"DNS lookup for {host} failed ({exc.strerror})",
                     "check the host name and your network or proxy", "environment")
            return False
        try:
            with httpx.Client(timeout=self.settings.timeout) as http:
                response = http.get(f"{parsed.scheme}://{parsed.netloc.decode()}/")
        except httpx.TransportError as exc:
            from conformance.http import describe_transport_error

            error = describe_transport_error(exc, url)
            self.add("FAIL", what, error.cause, error.hint, "environment")
            return False
        tls = " (TLS ok)" if parsed.scheme == "https" else ""
        self.add("OK", what, f"{host}:{port} answers (HTTP {response.status_code}){tls}")
        return True

    def clock(self, token_url: str) -> None:
        with httpx.Client(timeout=self.settings.timeout) as http:
            sent = self.now()
            response = http.get(token_url)
            received = self.now()
        date = response.headers.get("date")
        if not date:
            self.add("WARN", "clock", "the token endpoint sent no Date header; offset unknown")
            return
        # The header has whole seconds: the server's clock was somewhere in [server, server + 1).
        server = email.utils.parsedate_to_datetime(date).timestamp() + 0.5
        offset = (sent + received) / 2 - server
        text = f"this computer's clock is {offset:+.1f} s from the token endpoint's"
        if abs(offset) > CLOCK_SKEW:
            self.add("FAIL", "clock", text, f"Maskinporten allows {CLOCK_SKEW} s: synchronise the clock (NTP)")
        elif abs(offset) > CLOCK_SKEW / 2:
            self.add("WARN", "clock", text, "synchronise the clock (NTP) before it drifts further")
        else:
            self.add("OK", "clock", text)

    def token(self, session: TargetSession, scope: str) -> None:
        try:
            token = session.maskinporten(session.settings.scope or scope, session.settings.org
                                         if session.settings.systemuser else None).token()
        except ConformanceToolError as exc:
            kind = "environment" if exc.exit_code == EXIT_ENVIRONMENT else "config"
            self.add("FAIL", "token", exc.cause, exc.hint, kind)
            return
        self.add("OK", "token", f"got a {token.token_type} token for {token.scope or '?'} "
                 f"(expires in {token.expires_in} s)")


def exit_code(findings: list[Finding]) -> int:
    fails = [f for f in findings if f.level == "FAIL"]
    if not fails:
        return EXIT_PASSED
    return EXIT_ENVIRONMENT if any(f.kind == "environment" for f in fails) else EXIT_USAGE


def render(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.level:4}  {f.topic:13} {f.text}")
        if f.fix and f.level != "OK":
            lines.append(f"{'':19} fix: {f.fix}")
    return "\n".join(lines)
