"""The Trekkpålegg API (``skatteetaten:trekkpaalegg``): a list of withholding orders per trekkpliktig with
paging by sekvensnummer, and each order's versions. Requirement ids ``TP-*``; client requirements ``SBS-*``."""

from conformance.profiles.base import Profile

LIST_PATH = "/api/trekkpaalegg/v1"
VERSION_PATH = "/api/trekkpaalegg/v1/{trekkid}/{trekkversjon}"
SCOPE = "skatteetaten:trekkpaalegg"
RESOURCE = "ske-informasjon-om-trekkpaalegg"  # the Altinn resource a system user needs for this API

PROFILE = Profile(
    name="trekkpaalegg",
    title_nb="Trekkpålegg API",
    title_en="Trekkpålegg API (withholding orders)",
    scope=SCOPE,
    requirement_prefix="TP",
    package=__name__,
    base_urls={"test": "https://api-test.sits.no", "prod": "https://api.skatteetaten.no"},
    api_root=LIST_PATH,
    mock_mount="",
    operations=(("GET", LIST_PATH), ("GET", VERSION_PATH)),
    schemas=("Trekkpaalegg", "Feil"),
    params=(),  # its inputs are options of their own: --org (the trekkpliktig) and --empty-org
    personal_keys={"skyldner": "fnr", "kontonummer": "konto", "kidnummer": "kid"},
    altinn_resource=RESOURCE,
    client_catalogue="sbs.yaml",
    client_prefix="SBS",
    has_fixtures=True,
)
