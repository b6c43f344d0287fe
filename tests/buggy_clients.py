"""Deliberately buggy SBS clients, each the reference client with one thing done wrong.

    python tests/buggy_clients.py <bug>
"""

from __future__ import annotations

import contextlib
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conformance.apiclient import ApiError, body_of
from conformance.http import RetryPolicy
from conformance.maskinporten import MaskinportenClient, MaskinportenError
from conformance.profiles.kravogbetalinger import reference as kob
from conformance.profiles.trekkpaalegg.reference import ReferenceClient, main
from conformance.profiles.trukketkildeskattpaaloenn import reference as tks
from conformance.profiles.utleggstrekk import reference as utt


# -- bugs any reference client can have ---------------------------------------------------------------------------
class AudIsTokenUrlMixin:
    """The grant's aud is the token URL, not the issuer (Maskinporten refuses it: MP-110)."""

    def maskinporten(self, credential):
        e = self.env
        return MaskinportenClient(credential, client_id=e["SBS_CLIENT_ID"], issuer=e["SBS_TOKEN_URL"],
                                  token_url=e["SBS_TOKEN_URL"], scopes=[e["SBS_SCOPE"]],
                                  systemuser_org=e.get("SBS_SYSTEMUSER_ORG"), retry=RetryPolicy(attempts=1))


class GrantPerCallMixin:
    """A new token for every call."""

    def token(self):
        return self.mp.access_token(force=True)


class TenParallelMixin:
    """Ten calls at once, twice the five Skatteetaten allows."""

    def parallel(self):
        return 10


class KeepsTokenAfter401Mixin:
    """On a 401 the client drops nothing: it repeats the call with the same token and never gets a new one."""

    def maskinporten(self, credential):
        client = super().maskinporten(credential)
        client.invalidate = lambda *args, **kwargs: None
        return client


KNOWN_FIELDS = {"trekkid", "trekkversjon", "sekvensnummer", "opprettet", "saksnummer", "trekkpliktig", "skyldner",
                "trekkstatus", "trekkstoerrelseForPeriode", "betalingsinformasjon"}


class StopsAfterFirstPage(ReferenceClient):
    def more_pages(self, page):
        return False


class WatermarkPlusOne(ReferenceClient):
    def next_fra(self, page):
        return super().next_fra(page) + 1


class RestartsFromZero(ReferenceClient):
    def start_fra(self, state):
        return 0


class GrantPerCall(GrantPerCallMixin, ReferenceClient):
    pass


class KeepsTokenAfter401(KeepsTokenAfter401Mixin, ReferenceClient):
    pass


class FirstPageWithoutFra(ReferenceClient):
    """Starting from nothing, asks the first page with maksAntall alone (no fraSekvensnummer)."""

    def fetch_page(self, fra):
        if fra == 0:
            return body_of(self.api._get("", {"maksAntall": self.page_size}), list, "api.list_not_array")
        return super().fetch_page(fra)


class WatermarkFromRequest(ReferenceClient):
    """Stores the fraSekvensnummer of its last call as the watermark, not the highest sekvensnummer it got."""

    def fetch_page(self, fra):
        self.asked = fra
        return super().fetch_page(fra)

    def save_state(self, state):
        super().save_state({**state, "watermark": getattr(self, "asked", state["watermark"])})


class AudIsTokenUrl(AudIsTokenUrlMixin, ReferenceClient):
    pass


class NoRetry(ReferenceClient):
    def retry_policy(self):
        return RetryPolicy(attempts=1)


class Retries403Forever(ReferenceClient):
    def retry_policy(self):  # "forever", bounded here only so that the test ends
        return RetryPolicy(attempts=25, backoff=0.0, retry_statuses=frozenset({403, 429, 503}))


def refuse_unknown(record: dict[str, Any], known: set[str]) -> None:
    """The strict client's habit: a field it does not know is an error (the documentation lets fields be added)."""
    unknown = set(record) - known
    if unknown:
        raise KeyError(f"unexpected field {sorted(unknown)[0]}")


class CrashesOnUnknownField(ReferenceClient):
    def read_item(self, item: dict[str, Any]):
        refuse_unknown(item, KNOWN_FIELDS)
        return super().read_item(item)


class TenParallelCalls(ReferenceClient):
    def sync(self):
        state = super().sync()
        held = sorted(state["held"].items())[:10]
        with ThreadPoolExecutor(max_workers=10) as pool:  # checks all ten at once: too many
            list(pool.map(self._check, held))
        return state

    def _check(self, held: tuple[str, int]) -> None:
        with contextlib.suppress(ApiError):  # the answers are not the point here
            self.api.hent_versjon(*held)


class NoSystemuserDetails(ReferenceClient):
    """Sends a plain grant in systembruker mode: it gets a token for the vendor's own organisation."""

    def maskinporten(self, credential):
        return super().maskinporten(credential).with_options(systemuser_org=None)


class RetriesPendingForever(ReferenceClient):
    """Treats MP-303 as transient: asks for a token again and again ("forever", bounded so the test ends)."""

    def token(self):
        for _ in range(19):
            with contextlib.suppress(MaskinportenError):
                return self.mp.access_token()
        return self.mp.access_token()


class IgnoresExternalRef(ReferenceClient):
    """Knows only the customer, not which of its system users: no externalRef in the grant."""

    def maskinporten(self, credential):
        mp = super().maskinporten(credential)
        return mp.with_options(systemuser_org=mp.systemuser_org)


# -- Trukket kildeskatt på lønn (SBS_API=trukketkildeskattpaaloenn) ------------------------------------------------
TKS_KNOWN_FIELDS = {"personidentifikator", "inntektsaar", "skjermet", "trekkinformasjonPerMaaned"}


class TksAudIsTokenUrl(AudIsTokenUrlMixin, tks.ReferenceClient):
    pass


class TksGrantPerCall(GrantPerCallMixin, tks.ReferenceClient):
    pass


class TksDropsLastMonth(tks.ReferenceClient):
    def read_months(self, response):
        return super().read_months(response)[:-1]


class TksCrashesOn404(tks.ReferenceClient):
    def is_no_data(self, exc):
        return False  # treats "no data" as a failure: exits non-zero


class TksStrictFields(tks.ReferenceClient):
    def read_months(self, response):
        refuse_unknown(response.json(), TKS_KNOWN_FIELDS)
        return super().read_months(response)


class TksAcceptsCsv(tks.ReferenceClient):
    def accept(self):
        return "text/csv"


class TksTenParallel(TenParallelMixin, tks.ReferenceClient):
    pass


class TksKeepsTokenAfter401(KeepsTokenAfter401Mixin, tks.ReferenceClient):
    pass


TKS_BUGS = {"tks-aud-token-url": TksAudIsTokenUrl, "tks-grant-per-call": TksGrantPerCall,
            "tks-drops-last-month": TksDropsLastMonth, "tks-crashes-on-404": TksCrashesOn404,
            "tks-strict-fields": TksStrictFields, "tks-accepts-csv": TksAcceptsCsv,
            "tks-ten-parallel": TksTenParallel, "tks-keeps-token-after-401": TksKeepsTokenAfter401}

# -- Krav og betalinger (SBS_API=kravogbetalinger) ------------------------------------------------------------------
KOB_KNOWN_FIELDS = {"partIdentifikator", "skjermet", "periode", "aapentKravMedGjenstaaendeBeloep",
                    "innbetalingMedUplassertBeloep", "totalOversikt", "oversiktPerKravgruppe", "krav", "innbetaling",
                    "utbetaling"}


class KobAudIsTokenUrl(AudIsTokenUrlMixin, kob.ReferenceClient):
    pass


class KobGrantPerCall(GrantPerCallMixin, kob.ReferenceClient):
    pass


class KobRecomputesTotals(kob.ReferenceClient):
    def open_claims(self):
        shown = super().open_claims()
        total = dict(shown["totalOversikt"])
        total["saldo"] = round(total.get("sumForfalteKrav", 0) + total.get("sumIkkeForfalteKrav", 0), 2)  # no interest
        return {**shown, "totalOversikt": total}


class KobOneLongWindow(kob.ReferenceClient):
    def windows(self):
        return [(self.fra, self.til)]  # the whole span in one call: 400 KB-006 when it is over a year


class KobCrashesOn404(kob.ReferenceClient):
    def is_no_data(self, exc):
        return False  # "nothing in this period" treated as a failure: exits non-zero


class KobSameConsentAgain(kob.ReferenceClient):
    def consent_token(self, expired=None):
        return super().consent_token()  # never renews: sends the expired token again


class KobStrictFields(kob.ReferenceClient):
    def read(self, response):
        body = super().read(response)
        refuse_unknown(body, KOB_KNOWN_FIELDS)
        return body


class KobTenParallel(TenParallelMixin, kob.ReferenceClient):
    pass


class KobKeepsTokenAfter401(KeepsTokenAfter401Mixin, kob.ReferenceClient):
    pass


KOB_BUGS = {"kob-aud-token-url": KobAudIsTokenUrl, "kob-grant-per-call": KobGrantPerCall,
            "kob-recomputes-totals": KobRecomputesTotals, "kob-one-long-window": KobOneLongWindow,
            "kob-crashes-on-404": KobCrashesOn404, "kob-same-consent-again": KobSameConsentAgain,
            "kob-strict-fields": KobStrictFields, "kob-ten-parallel": KobTenParallel,
            "kob-keeps-token-after-401": KobKeepsTokenAfter401}

# -- Utleggstrekk with its event list (SBS_API=utleggstrekk) --------------------------------------------------------
class UttAudIsTokenUrl(AudIsTokenUrlMixin, utt.ReferenceClient):
    pass


class UttGrantPerCall(GrantPerCallMixin, utt.ReferenceClient):
    pass


class UttIgnoresStart(utt.ReferenceClient):
    def first(self, state):
        return state["watermark"] + 1 if isinstance(state.get("watermark"), int) else 1  # from the beginning


class UttRereadsLast(utt.ReferenceClient):
    def first(self, state):
        if isinstance(state.get("watermark"), int):
            return state["watermark"]  # the exclusive habit of the Trekkpålegg list, on an inclusive one
        return super().first(state)


class UttPollsAllLookups(utt.ReferenceClient):
    def sync(self):
        state = super().sync()
        for key in list(state["utleggstrekk"]):  # "to be sure": every held month looked up again
            person, month = key.split("|")
            self.lookup((person, month))
        return state


class UttKeepsDeleted(utt.ReferenceClient):
    def forget(self, held, person, periode):
        pass  # a 410 changes nothing: the old data stay


class UttDropsAmount(utt.ReferenceClient):
    def lookup(self, key):
        found, months = super().lookup(key)
        return found, None if months is None else [{**m, "trekkbeloep": 0.0} for m in months]


class UttStrictFields(utt.ReferenceClient):
    def page(self, fra, antall):
        events = super().page(fra, antall)
        known = {"sekvensnummer", "identifikator", "gjelderPeriode", "registreringstidspunkt", "hendelsetype"}
        for event in events:
            refuse_unknown(event, known)
        return events


class UttTenParallel(TenParallelMixin, utt.ReferenceClient):
    pass


class UttKeepsTokenAfter401(KeepsTokenAfter401Mixin, utt.ReferenceClient):
    pass


UTT_BUGS = {"utt-aud-token-url": UttAudIsTokenUrl, "utt-grant-per-call": UttGrantPerCall,
            "utt-ignores-start": UttIgnoresStart, "utt-rereads-last": UttRereadsLast,
            "utt-polls-all-lookups": UttPollsAllLookups, "utt-keeps-deleted": UttKeepsDeleted,
            "utt-drops-amount": UttDropsAmount, "utt-strict-fields": UttStrictFields,
            "utt-ten-parallel": UttTenParallel, "utt-keeps-token-after-401": UttKeepsTokenAfter401}

BUGS = {"stops-after-first-page": StopsAfterFirstPage, "watermark-plus-one": WatermarkPlusOne,
        "restarts-from-zero": RestartsFromZero, "grant-per-call": GrantPerCall, "aud-token-url": AudIsTokenUrl,
        "no-retry": NoRetry, "retries-403-forever": Retries403Forever, "keeps-token-after-401": KeepsTokenAfter401,
        "first-page-without-fra": FirstPageWithoutFra, "watermark-from-request": WatermarkFromRequest,
        "crashes-on-unknown-field": CrashesOnUnknownField, "ten-parallel-calls": TenParallelCalls,
        "no-systemuser-details": NoSystemuserDetails, "retries-pending-forever": RetriesPendingForever,
        "ignores-external-ref": IgnoresExternalRef}

if __name__ == "__main__":
    try:
        bug = sys.argv[1]
        if bug in KOB_BUGS:
            sys.exit(kob.main(KOB_BUGS[bug]))
        if bug in UTT_BUGS:
            sys.exit(utt.main(UTT_BUGS[bug]))
        sys.exit(tks.main(TKS_BUGS[bug]) if bug in TKS_BUGS else main(BUGS[bug]))
    except KeyError as exc:  # a crash, as a real client would have one
        print(f"crash: {exc}", file=sys.stderr)
        sys.exit(1)
