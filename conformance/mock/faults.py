"""Fault switches: named ways in which the mock breaks one requirement on purpose.

Faults are data: the mock's handlers consult ``Faults.on(name)`` at the one place a rule is applied.
Tests turn a fault on and prove that exactly the check for that requirement fails; vendors can turn
them on (``sbs-conformance mock serve --fault NAME``, ``sbs-conformance run --mock-fault NAME``) to see
what a failing report looks like.
"""

from __future__ import annotations

from conformance.mock.switches import Switches

#: name -> (requirement it breaks, what the mock then does)
FAULTS: dict[str, tuple[str, str]] = {
    "token-response-incomplete": ("TP-AUTH-01", "token response without expires_in and scope"),
    "jwks-wrong-key": ("TP-AUTH-02", "publishes a key at /jwk that did not sign the tokens"),
    "jwks-malformed": ("TP-AUTH-02", "publishes a JWKS whose only key cannot be loaded (modulus not base64url)"),
    "accept-missing-token": ("TP-AUTH-03", "serves data to requests without a token"),
    "accept-invalid-signature": ("TP-AUTH-04", "does not verify the token signature"),
    "ignore-scope": ("TP-AUTH-05", "does not check the token's scope"),
    "accept-expired-token": ("TP-AUTH-06", "accepts expired tokens"),
    "empty-org-404": ("TP-EMPTY-01", "answers 404 instead of 200 [] to an organisation without data"),
    "list-text-plain": ("TP-LIST-01", "serves the list as text/plain"),
    "invalid-opprettet": ("TP-LIST-02", "writes opprettet as 09.08.2025 15:00 (not date-time)"),
    "wrong-trekkpliktig": ("TP-LIST-03", "puts another organisation in trekkpliktig"),
    "all-versions-in-list": ("TP-LIST-04", "pages over every version, not only the latest per trekkid"),
    "ignore-maks-antall": ("TP-PAGE-01", "ignores maksAntall"),
    "short-page-before-end": ("TP-PAGE-02", "limits before filtering: a full page comes back one short"),
    "inclusive-fra": ("TP-PAGE-03", "treats fraSekvensnummer as inclusive"),
    "lenient-paging-params": ("TP-PAGE-04", "accepts one paging parameter alone and maksAntall=0"),
    "unordered-pages": ("TP-PAGE-05", "returns each page in descending order"),
    "version-body-differs": ("TP-VER-01", "version endpoint changes opprettet"),
    "version-returns-latest": ("TP-VER-02", "version endpoint returns the latest for an earlier version"),
    "next-version-200": ("TP-VER-03", "version n+1 returns the latest version instead of 404"),
    "non-numeric-version-500": ("TP-VER-04", "non-numeric version gives 500"),
    "unknown-path-400": ("TP-ERR-01", "unknown path under the API gives 400"),
    "ignore-accept": ("TP-ERR-02", "ignores an unsupported Accept header"),
    "reused-korrelasjonsid": ("TP-ERR-03", "uses the same korrelasjonsid in every error"),
    "plain-text-errors": ("TP-ERR-03", "error bodies as plain text"),
    "wrong-error-codes": ("TP-ERR-04", "404 answers carry the 400 code (-006)"),
    "invalid-identifiers": ("TP-DATA-01", "skyldner with wrong control digits"),
    "overlapping-periods": ("TP-DATA-02", "periods overlap"),
}


class Faults(Switches):
    KNOWN = FAULTS
    KIND = "fault"
