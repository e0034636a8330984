"""Schemathesis hooks of tests/api/schemathesis.toml: KYC webhooks go out signed as the provider signs them,
so generated bodies reach the receiver's validation instead of stopping at the signature."""

from __future__ import annotations

from typing import Any

import requests
import schemathesis

from api.webhooks import SIGNATURE_HEADER
from providers.kyc_models import kyc_signature
from tests.api.harness import TOKEN_CURRENT

#: the value schemathesis sends for the signature (tests/api/schemathesis.toml); any other is left as sent
PLACEHOLDER = "sign-me"


def _sign(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Replace the placeholder with the signature of the exact bytes sent."""
    if request.headers.get(SIGNATURE_HEADER) == PLACEHOLDER:
        body = request.body or b""
        request.headers[SIGNATURE_HEADER] = kyc_signature(
            body.encode() if isinstance(body, str) else body, TOKEN_CURRENT
        )
    return request


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]
) -> None:
    """Sign every call of the webhook route (``requests`` runs ``auth`` on the prepared request)."""
    if case.operation.path == "/webhooks/kyc":
        kwargs["auth"] = _sign
