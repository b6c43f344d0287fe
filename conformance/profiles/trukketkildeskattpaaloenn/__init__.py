"""Trukket kildeskatt på lønn (``skatteetaten:trukketkildeskattpaaloenn``): the source tax withheld on pay, month by
month, for one person and income year, in JSON or XML. Requirement ids ``TKS-*``; client requirements
``TKS-SBS-*``."""

from conformance.profiles.base import Param, Profile

SCOPE = "skatteetaten:trukketkildeskattpaaloenn"
PATH = "/{rettighetspakke}/{inntektsaar}/{personidentifikator}"  # undocumented: assumption A-TKS-PATH
NAMESPACE = "urn:no:skatteetaten:datasamarbeid:TrukketKildeskattPaaLoenn:v1"

PROFILE = Profile(
    name="trukketkildeskattpaaloenn",
    title_nb="Trukket kildeskatt på lønn API",
    title_en="Trukket kildeskatt på lønn API (source tax withheld on pay)",
    scope=SCOPE,
    requirement_prefix="TKS",
    package=__name__,
    base_urls={"test": "https://trukketkildeskattpaaloenn.api.skatteetaten-test.no/v1",
               "prod": "https://trukketkildeskattpaaloenn.api.skatteetaten.no/v1"},
    api_root="",
    mock_mount="/trukketkildeskattpaaloenn/v1",
    media_types=("application/json", "application/xml"),
    operations=(("GET", PATH),),
    schemas=("TrukketKildeskattPaaLoenn", "Feil"),
    params=(
        Param("rettighetspakke", "rettighetspakken din (den eneste som er oppgitt, er ssb)",
              "your rettighetspakke (the only one listed is ssb)", default="ssb", required=False,
              example="ssb"),
        Param("personidentifikator", "en person med trukket kildeskatt i inntektsåret (syntetisk, fra Tenor)",
              "a person with withheld source tax in the income year (synthetic, from Tenor)",
              mock_default="07088730296", example="07088730296"),
        Param("inntektsaar", "inntektsåret å slå opp", "the income year to look up", mock_default="2021",
              example="2021"),
        Param("person_uten_data", "en kjent person uten data for inntektsåret (gir TKL-007)",
              "a known person without data for the income year (gives TKL-007)", mock_default="03849120033",
              example="03849120033"),
        Param("ukjent_person", "et gyldig, syntetisk fødselsnummer som ikke finnes (gir TKL-009)",
              "a valid synthetic fødselsnummer that does not exist (gives TKL-009)",
              mock_default="09899530044", required=False, example="09899530044"),
    ),
    personal_keys={"personidentifikator": "fnr"},
    client_catalogue="client.yaml",
    client_prefix="TKS-SBS",
)
