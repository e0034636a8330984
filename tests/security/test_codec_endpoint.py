"""The codec endpoint over HTTP: decodes for authorized callers only (no Origin is trusted); CORS only for
the Temporal UI."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload

from cli.dev import build_services
from codec.payload import EncryptionCodec
from codec.ui import ui_codec_token
from config import Settings
from store import api_keys
from tests.security.codec_server import DEV_API_KEY, UI_ORIGIN, CodecServer
from tests.security.keyrings import OLD

SECRET = b'{"kyc_url":"https://kyc.example/s/abc123"}'
OTHER_ORIGIN = "https://evil.example"


async def _encrypted_body() -> dict[str, Any]:
    [payload] = await EncryptionCodec(SecretStr(OLD)).encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=SECRET)]
    )
    metadata = {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()}
    return {"payloads": [{"metadata": metadata, "data": base64.b64encode(payload.data).decode()}]}


async def _decode(
    server: CodecServer, headers: dict[str, str], *, path: str = "/codec/decode"
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await client.post(path, json=await _encrypted_body(), headers=headers)


def _decoded_data(response: httpx.Response) -> bytes:
    return base64.b64decode(response.json()["payloads"][0]["data"])


async def test_the_operator_key_decodes(dev_codec: CodecServer) -> None:
    response = await _decode(dev_codec, {"Authorization": f"Bearer {DEV_API_KEY}", "X-Namespace": "default"})
    assert response.status_code == 200
    assert _decoded_data(response) == SECRET
    assert response.json()["payloads"][0]["metadata"]["encoding"] == base64.b64encode(b"json/plain").decode()


async def test_a_reseller_key_cannot_decode_other_tenants_payloads(dev_codec: CodecServer) -> None:
    key = api_keys.create(dev_codec.engine, "acme")
    response = await _decode(dev_codec, {"Authorization": f"Bearer {key}"})
    assert response.status_code == 401 and SECRET not in response.content


async def test_the_configured_api_key_decodes(prod_codec: CodecServer) -> None:
    response = await _decode(prod_codec, {"Authorization": f"Bearer {DEV_API_KEY}"})
    assert response.status_code == 200 and _decoded_data(response) == SECRET


async def test_encode_then_decode_round_trips(dev_codec: CodecServer) -> None:
    encoding = base64.b64encode(b"json/plain").decode()
    plain = {"payloads": [{"metadata": {"encoding": encoding}, "data": base64.b64encode(SECRET).decode()}]}
    headers = {"Authorization": f"Bearer {DEV_API_KEY}"}
    async with httpx.AsyncClient(base_url=dev_codec.url, headers=headers) as client:
        encoded = await client.post("/codec/encode", json=plain)
        assert encoded.status_code == 200
        assert SECRET not in base64.b64decode(encoded.json()["payloads"][0]["data"])
        decoded = await client.post("/codec/decode", json=encoded.json())
    assert decoded.json() == plain


async def test_missing_or_bad_keys_are_refused(dev_codec: CodecServer) -> None:
    revoked = api_keys.create(dev_codec.engine, "acme")
    api_keys.revoke(dev_codec.engine, revoked.split("_")[1])
    for headers in (
        {},
        {"Authorization": "Bearer onb_000000000000_notarealsecretnotarealsecret"},
        {"Authorization": f"Bearer {DEV_API_KEY}x"},
        {"Authorization": DEV_API_KEY},
        {"Authorization": f"Bearer {revoked}"},
        {"Origin": OTHER_ORIGIN},
    ):
        response = await _decode(dev_codec, headers)
        assert response.status_code == 401, headers
        assert SECRET not in response.content


async def test_the_ui_origin_alone_is_refused_in_development(dev_codec: CodecServer) -> None:
    response = await _decode(dev_codec, {"Origin": UI_ORIGIN})
    assert response.status_code == 401 and SECRET not in response.content


async def test_the_local_ui_decodes_with_the_token_onboard_dev_gives_it(dev_codec: CodecServer) -> None:
    ui_path = f"/codec/ui/{ui_codec_token(DEV_API_KEY)}/decode"
    response = await _decode(dev_codec, {"Origin": UI_ORIGIN}, path=ui_path)
    assert response.status_code == 200 and _decoded_data(response) == SECRET
    assert response.headers["access-control-allow-origin"] == UI_ORIGIN
    for wrong in (ui_codec_token(DEV_API_KEY + "x"), DEV_API_KEY):
        response = await _decode(dev_codec, {"Origin": UI_ORIGIN}, path=f"/codec/ui/{wrong}/decode")
        assert response.status_code == 401 and SECRET not in response.content


async def test_the_ui_token_path_is_refused_in_production(prod_codec: CodecServer) -> None:
    response = await _decode(
        prod_codec, {"Origin": UI_ORIGIN}, path=f"/codec/ui/{ui_codec_token(DEV_API_KEY)}/decode"
    )
    assert response.status_code == 401 and SECRET not in response.content


async def test_a_malformed_ciphertext_is_a_client_error(
    dev_codec: CodecServer, prod_codec: CodecServer
) -> None:
    metadata = {"encoding": b"binary/encrypted", "encryption-key-id": b"old"}
    for data in (b"", b"short", b"x" * 40):
        body = {
            "payloads": [
                {
                    "metadata": {k: base64.b64encode(v).decode() for k, v in metadata.items()},
                    "data": base64.b64encode(data).decode(),
                }
            ]
        }
        for server in (dev_codec, prod_codec):
            async with httpx.AsyncClient(base_url=server.url) as client:
                response = await client.post(
                    "/codec/decode", json=body, headers={"Authorization": f"Bearer {DEV_API_KEY}"}
                )
            assert response.status_code == 422, (data, response.text)
            assert response.json()["error"]["type"] == "undecodable_payload"


async def test_the_ui_origin_needs_a_key_in_production(prod_codec: CodecServer) -> None:
    response = await _decode(prod_codec, {"Origin": UI_ORIGIN})
    assert response.status_code == 401
    response = await _decode(prod_codec, {"Origin": UI_ORIGIN, "Authorization": f"Bearer {DEV_API_KEY}"})
    assert response.status_code == 200 and _decoded_data(response) == SECRET


async def _preflight(server: CodecServer, origin: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await client.options("/codec/decode", headers=headers)


async def test_cors_preflight_admits_only_the_ui_origin(dev_codec: CodecServer) -> None:
    allowed = await _preflight(dev_codec, UI_ORIGIN)
    assert allowed.is_success
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "x-namespace" in allowed.headers["access-control-allow-headers"]
    refused = await _preflight(dev_codec, OTHER_ORIGIN)
    assert not refused.is_success
    assert "access-control-allow-origin" not in refused.headers


async def test_other_origins_get_no_cors_grant_even_with_a_key(dev_codec: CodecServer) -> None:
    response = await _decode(dev_codec, {"Origin": OTHER_ORIGIN, "Authorization": f"Bearer {DEV_API_KEY}"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_a_malformed_body_is_rejected(dev_codec: CodecServer) -> None:
    async with httpx.AsyncClient(base_url=dev_codec.url) as client:
        response = await client.post(
            "/codec/decode", content=b"not json", headers={"Authorization": f"Bearer {DEV_API_KEY}"}
        )
    assert response.status_code == 422


async def test_a_body_that_is_not_payloads_json_is_refused_naming_the_field(dev_codec: CodecServer) -> None:
    bodies = {
        "payloads.0.data": {"payloads": [{"data": "a"}]},  # base64 never ends with a single character
        "payloads.0.metadata.encoding": {"payloads": [{"metadata": {"encoding": "not base64!"}}]},
        "payloads.0.extra": {"payloads": [{"extra": "AA=="}]},
        "payloads": {"payloads": None},
    }
    async with httpx.AsyncClient(base_url=dev_codec.url) as client:
        for field, body in bodies.items():
            response = await client.post(
                "/codec/encode", json=body, headers={"Authorization": f"Bearer {DEV_API_KEY}"}
            )
            assert response.status_code == 422, response.text
            assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


def test_onboard_dev_points_the_ui_at_its_token_path() -> None:
    [temporal, *_] = build_services(Settings(_env_file=None), DEV_API_KEY)
    endpoint = temporal.args[temporal.args.index("--ui-codec-endpoint") + 1]
    assert endpoint == f"http://127.0.0.1:8000/codec/ui/{ui_codec_token(DEV_API_KEY)}"
