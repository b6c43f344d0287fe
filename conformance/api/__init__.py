"""Clients for the Trekkpålegg API."""

from conformance.api.client import (
    ApiError,
    KeepAliveTrekkpaaleggClient,
    Side,
    TrekkpaaleggClient,
    TrekkpaaleggOperations,
    UnexpectedBody,
)

__all__ = ["ApiError", "KeepAliveTrekkpaaleggClient", "Side", "TrekkpaaleggClient", "TrekkpaaleggOperations",
           "UnexpectedBody"]
