"""Report labels in Norwegian bokmål (default) and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "title": {"nb": "Oppsummering av test", "en": "Test summary"},
    "subtitle": {"nb": "Trekkpålegg API – samsvarstest", "en": "Trekkpålegg API – conformance test"},
    "verdict": {"nb": "Resultat", "en": "Verdict"},
    "passed": {"nb": "Bestått", "en": "Passed"},
    "failed": {"nb": "Ikke bestått", "en": "Failed"},
    "warning": {"nb": "Advarsel", "en": "Warning"},
    "skipped": {"nb": "Hoppet over", "en": "Skipped"},
    "error": {"nb": "Feil i kjøring", "en": "Error"},
    "not_run": {"nb": "Ikke kjørt", "en": "Not run"},
    "interrupted": {"nb": "Avbrutt", "en": "Interrupted"},
    "run": {"nb": "Kjøring", "en": "Run"},
    "run_id": {"nb": "Kjørings-id", "en": "Run id"},
    "started": {"nb": "Startet", "en": "Started"},
    "finished": {"nb": "Ferdig", "en": "Finished"},
    "tool": {"nb": "Verktøy", "en": "Tool"},
    "target": {"nb": "Mål", "en": "Target"},
    "target_mock": {"nb": "innebygd mock", "en": "embedded mock"},
    "target_test": {"nb": "Skatteetatens testmiljø", "en": "Skatteetaten's test environment"},
    "organisation": {"nb": "Organisasjon (trekkpliktig)", "en": "Organisation (trekkpliktig)"},
    "authentication": {"nb": "Autentisering", "en": "Authentication"},
    "spec": {"nb": "OpenAPI-dokument", "en": "OpenAPI document"},
    "summary": {"nb": "Sammendrag", "en": "Summary"},
    "verdict_rule": {"nb": "Regel for resultat", "en": "Verdict rule"},
    "problems": {"nb": "Feil og mangler", "en": "Errors and shortcomings"},
    "no_problems": {"nb": "Ingen feil eller mangler.", "en": "No errors or shortcomings."},
    "requirements": {"nb": "Krav", "en": "Requirements"},
    "id": {"nb": "Id", "en": "Id"},
    "requirement": {"nb": "Krav", "en": "Requirement"},
    "severity": {"nb": "Alvorlighet", "en": "Severity"},
    "required": {"nb": "påkrevd", "en": "required"},
    "recommended": {"nb": "anbefalt", "en": "recommended"},
    "informational": {"nb": "informativ", "en": "informational"},
    "status": {"nb": "Status", "en": "Status"},
    "source": {"nb": "Kilde", "en": "Source"},
    "checks": {"nb": "Kontroller", "en": "Checks"},
    "check": {"nb": "Kontroll", "en": "Check"},
    "message": {"nb": "Melding", "en": "Message"},
    "duration": {"nb": "Tid", "en": "Duration"},
    "calls": {"nb": "Kall", "en": "Calls"},
    "run_error": {"nb": "Kjøringen kunne ikke fullføres", "en": "The run could not complete"},
}


def labels(lang: str) -> dict[str, str]:
    lang = lang if lang in ("nb", "en") else "nb"
    return {key: texts[lang] for key, texts in LABELS.items()}
