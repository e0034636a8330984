"""The payload codec: payloads are ciphertext, round trip, key rotation, clear errors without key material."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload

from codec.keyring import KeyRingError
from codec.payload import CodecError, EncryptionCodec
from config import Settings
from domain.onboarding import AgentSpec, NumbersRequest, OnboardingInput, OnboardingRequest
from tests.security.keyrings import NEW, NEW_KEY, OLD, OLD_KEY
from worker.client import data_converter

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email":"ada@example.com"}')


async def test_round_trip_restores_the_whole_payload() -> None:
    codec = EncryptionCodec(SecretStr(OLD))
    [encoded] = await codec.encode([PLAIN])
    assert encoded.metadata["encoding"] == b"binary/encrypted"
    assert encoded.metadata["encryption-key-id"] == b"old"
    assert await codec.decode([encoded]) == [PLAIN]


async def test_ciphertext_hides_data_and_original_metadata() -> None:
    [encoded] = await EncryptionCodec(SecretStr(OLD)).encode([PLAIN])
    wire = encoded.SerializeToString()
    assert b"ada@example.com" not in wire
    assert b"json/plain" not in wire


async def test_the_data_converter_encrypts_workflow_inputs() -> None:
    secret_email = "grace@example.com"
    request = OnboardingRequest(
        reference="cust-42",
        business_name="Hopper Analytical Engines",
        email=secret_email,
        numbers=NumbersRequest(country="US", count=1),
        agent=AgentSpec(name="Front desk", system_prompt="Be helpful."),
    )
    value = OnboardingInput(
        onboarding_id="onboarding-cust-42", request=request, webhook_url="https://r.example/h"
    )
    converter = data_converter(Settings(codec_keys=SecretStr(OLD)))
    [payload] = await converter.encode([value])
    wire = payload.SerializeToString()
    assert secret_email.encode() not in wire
    assert b"Hopper" not in wire
    [decoded] = await converter.decode([payload], [OnboardingInput])
    assert decoded == value


async def test_rotation_reads_old_payloads_and_writes_with_the_new_key() -> None:
    [old_payload] = await EncryptionCodec(SecretStr(OLD)).encode([PLAIN])
    rotated = EncryptionCodec(SecretStr(f"{NEW},{OLD}"))
    assert await rotated.decode([old_payload]) == [PLAIN]
    [new_payload] = await rotated.encode([PLAIN])
    assert new_payload.metadata["encryption-key-id"] == b"new"
    assert await EncryptionCodec(SecretStr(NEW)).decode([new_payload]) == [PLAIN]


async def test_payloads_it_did_not_encode_pass_through() -> None:
    assert await EncryptionCodec(SecretStr(OLD)).decode([PLAIN]) == [PLAIN]


async def test_an_unknown_key_id_is_named_without_key_material() -> None:
    [old_payload] = await EncryptionCodec(SecretStr(OLD)).encode([PLAIN])
    with pytest.raises(CodecError) as raised:
        await EncryptionCodec(SecretStr(NEW)).decode([old_payload])
    message = str(raised.value)
    assert "'old'" in message
    assert OLD_KEY not in message and NEW_KEY not in message


async def test_tampered_ciphertext_is_refused() -> None:
    codec = EncryptionCodec(SecretStr(OLD))
    [encoded] = await codec.encode([PLAIN])
    encoded.data = encoded.data[:-1] + bytes([encoded.data[-1] ^ 1])
    with pytest.raises(CodecError):
        await codec.decode([encoded])


@pytest.mark.parametrize("ring", ["nokid", "k1:not base64!", f"k1:{OLD_KEY[:8]}", f"{OLD},{OLD}"])
def test_bad_key_rings_are_refused_without_key_material(ring: str) -> None:
    with pytest.raises(KeyRingError) as raised:
        EncryptionCodec(SecretStr(ring))
    assert OLD_KEY not in str(raised.value) and OLD_KEY[:8] not in str(raised.value)
