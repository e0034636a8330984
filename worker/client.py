"""One way to connect to Temporal, shared by the worker, the API, the CLI and the tests."""

from __future__ import annotations

import dataclasses

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError

from codec.payload import EncryptionCodec
from config import Settings
from domain.search_attributes import ALL_KEYS


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads, encrypted with the configured codec key ring; failure messages and stack traces
    are encrypted too (the history shows "Encoded failure" in their place)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(settings.codec_keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A Temporal client for the configured address and namespace, speaking encrypted pydantic."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
    )


def metrics_runtime(port: int) -> Runtime:
    """A Temporal runtime exporting the SDK's and our metrics for Prometheus on ``port`` (0: none)."""
    if port == 0:
        return Runtime.default()
    prometheus = PrometheusConfig(
        bind_address=f"0.0.0.0:{port}", counters_total_suffix=True, durations_as_seconds=True
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


async def ensure_search_attributes(client: Client) -> None:
    """Register the onboarding's custom search attributes (Keyword); ones that exist are left alone."""
    for key in ALL_KEYS:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=client.namespace,
                    search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
                )
            )
        except RPCError as error:
            if "already" not in error.message.lower():
                raise
