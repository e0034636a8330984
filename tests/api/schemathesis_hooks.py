"""Schemathesis hooks of tests/api/schemathesis.toml.

KYC webhooks go out signed as the provider signs them, so generated bodies reach the receiver's validation
instead of stopping at the signature. A batch's body is a file whose rows no schema describes, so each
positive case sends one valid row made from the generated text instead of text that is almost never a row.
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests
import schemathesis
from schemathesis import GenerationMode

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


def map_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> schemathesis.Case[Any]:
    """A positive batch becomes one valid CSV row whose reference is the generated text's hash."""
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        digest = hashlib.sha256(repr(case.body).encode()).hexdigest()[:16]
        case.body = (
            "reference,business_name,business_type,kyc_mode,numbers.country,numbers.count,agent.name,"
            f"agent.system_prompt\nst-{digest},Conformance Clinic,individual,personal_use,US,1,Desk,"
            "Take messages.\n"
        )
        case.media_type = "text/csv"
    return case


# schemathesis's hook registry is untyped; the filter keeps map_case to the batch route
_registered: Any = schemathesis.hook("map_case")
_registered.apply_to(method="POST", path="/v1/batches")(map_case)
