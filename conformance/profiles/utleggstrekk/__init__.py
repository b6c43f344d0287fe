"""Utleggstrekk (``skatteetaten:utleggstrekk``) with its event list, "Utleggstrekk hendelser API": events name an
identifier and a period, the lookup answers with the utleggstrekk reported for them. Skatteetaten's page is still
largely a placeholder, so hosts, the lookup's path and body, and its error prefix are named assumptions
(``A-UTT-*``). Requirement ids ``UTT-*``; client requirements ``UTT-SBS-*``."""

from conformance.profiles.base import Param, Profile

SCOPE = "skatteetaten:utleggstrekk"
EVENTS_TEST = "https://utleggstrekkhendelser.api.skatteetaten-test.no/v1"  # assumption A-UTT-HOSTS
LOOKUP_BASE = {"test": "https://utleggstrekk.api.skatteetaten-test.no/v1",
               "prod": "https://utleggstrekk.api.skatteetaten.no/v1"}  # assumption A-UTT-HOSTS
LOOKUP_MOUNT = "/utleggstrekk/v1"  # the lookup on the mock
LOOKUP_PATH = "/{rettighetspakke}/{identifikator}"  # assumption A-UTT-LOOKUP-PATH
NAMESPACE = "urn:no:skatteetaten:datasamarbeid:utleggstrekk:v1"  # the lookup's XML (undocumented)

PROFILE = Profile(
    name="utleggstrekk",
    title_nb="Utleggstrekk API med hendelsesliste",
    title_en="Utleggstrekk API with its event list",
    scope=SCOPE,
    requirement_prefix="UTT",
    package=__name__,
    base_urls={"test": EVENTS_TEST, "prod": "https://utleggstrekkhendelser.api.skatteetaten.no/v1"},
    api_root="",
    mock_mount="/utleggstrekkhendelser/v1",
    media_types=("application/json", "application/xml"),
    operations=(("GET", "/hendelser"), ("GET", "/hendelser/start"), ("GET", LOOKUP_PATH)),
    schemas=("Hendelser", "Hendelse", "Startsekvensnummer", "Utleggstrekk", "Feil"),
    params=(
        Param("rettighetspakke", "rettighetspakken din (den eneste som er oppgitt, er ssb)",
              "your rettighetspakke (the only one listed is ssb)", default="ssb", required=False, example="ssb"),
        Param("start_dato", "datoen hendelsene leses fra (hendelser/start?dato=, ÅÅÅÅ-MM-DD)",
              "the date the events are read from (hendelser/start?dato=, YYYY-MM-DD)", mock_default="2023-06-01",
              example="2023-06-01"),
        Param("identifikator", "en identifikator uten utleggstrekk (for UTT-LOOKUP-03)",
              "an identifier without utleggstrekk (for UTT-LOOKUP-03)", default="09899530044", required=False,
              example="09899530044"),
        Param("lookup_base_url", "oppslagets base-URL (standard: antatt vert for målet, mockens egen)",
              "the lookup's base URL (default: the target's assumed host, the mock's own)", required=False,
              example=LOOKUP_BASE["test"]),
    ),
    personal_keys={"identifikator": "fnr"},
    client_catalogue="client.yaml",
    client_prefix="UTT-SBS",
)
