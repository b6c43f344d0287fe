"""Krav og betalinger (``skatteetaten:kravogbetalinger``): a party's open claims, its claims, payments and payouts
in a period, for accounting systems (rettighetspakke ``regnskapssystem``, with an Altinn system user) and banks
(``finans``, with the party's consent). JSON or XML. Requirement ids ``KOB-*``; client requirements ``KOB-SBS-*``."""

from conformance.profiles.base import Param, Profile

SCOPE = "skatteetaten:kravogbetalinger"
ENDPOINTS = ("aapnekrav", "krav", "innbetalinger", "utbetalinger")
OLD_GATEWAY_ROOT = "/api/innkreving/kravogbetalinger/v1"  # the older form on api-test.sits.no, served too
NAMESPACE = "urn:no:skatteetaten:datasamarbeid:kravogbetalinger:v1"  # undocumented: assumption A-KOB-XML-NS
SYSTEMUSER_RESOURCE = "ske-krav-og-betalinger"
CONSENT_RESOURCE = "ske-samtykke-krav-og-betalinger"

PROFILE = Profile(
    name="kravogbetalinger",
    title_nb="Krav og betalinger API",
    title_en="Krav og betalinger API (claims and payments)",
    scope=SCOPE,
    requirement_prefix="KOB",
    package=__name__,
    base_urls={"test": "https://kravogbetalinger.api.skatteetaten-test.no/v1",
               "prod": "https://kravogbetalinger.api.skatteetaten.no/v1"},
    api_root="",
    mock_mount="/kravogbetalinger/v1",
    media_types=("application/json", "application/xml"),
    operations=tuple(("GET", f"/{{rettighetspakke}}/{{partIdentifikator}}/{e}") for e in ENDPOINTS),
    schemas=("AapneKrav", "KravListe", "Innbetalinger", "Utbetalinger", "Feil"),
    params=(
        Param("rettighetspakke", "regnskapssystem (systembruker) eller finans (samtykke)",
              "regnskapssystem (system user) or finans (consent)", default="regnskapssystem", required=False,
              example="regnskapssystem"),
        Param("part", "en part (organisasjonsnummer) med krav, innbetalinger og utbetalinger i perioden",
              "a party (organisation number) with claims, payments and payouts in the period",
              mock_default="311851381", example="311851381"),
        Param("part_uten_data", "en kjent part uten krav i perioden (gir KB-007)",
              "a known party without claims in the period (gives KB-007)", mock_default="314055403",
              example="314055403"),
        Param("fra_og_med", "periodens første dag (ÅÅÅÅ-MM-DD; høyst ett år)",
              "the period's first day (YYYY-MM-DD; at most one year)", mock_default="2023-01-01",
              example="2023-01-01"),
        Param("til_og_med", "periodens siste dag (ÅÅÅÅ-MM-DD)", "the period's last day (YYYY-MM-DD)",
              mock_default="2023-12-31", example="2023-12-31"),
        Param("samtykke", "id-en til et Altinn-samtykke fra parten (for finans og KOB-CONSENT-01)",
              "the id of an Altinn consent from the party (for finans and KOB-CONSENT-01)",
              required=False, example="0b7a0a9e-..."),
        Param("samtykke_uten_data", "med finans: et samtykke fra part_uten_data",
              "with finans: a consent from part_uten_data", required=False),
        Param("ukjent_part", "et gyldig organisasjonsnummer som ikke finnes (gir KB-009)",
              "a valid organisation number that does not exist (gives KB-009)",
              mock_default="999999999", required=False, example="999999999"),
    ),
    personal_keys={"kidnummer": "kid", "kontonummer": "konto"},
    altinn_resource=SYSTEMUSER_RESOURCE,
    client_catalogue="client.yaml",
    client_prefix="KOB-SBS",
)
