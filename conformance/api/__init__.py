"""Client for the Trekkpålegg API."""

from conformance.api.client import ApiError, Side, TrekkpaaleggClient, UnexpectedBody

__all__ = ["ApiError", "Side", "TrekkpaaleggClient", "UnexpectedBody"]
