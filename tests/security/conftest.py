"""Codec endpoint servers (development and production settings) on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.codec_server import CodecServer, serve_codec


@pytest.fixture(scope="module")
def dev_codec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodecServer]:
    """The codec endpoint with development settings."""
    with serve_codec(tmp_path_factory.mktemp("codec-dev"), "development") as server:
        yield server


@pytest.fixture(scope="module")
def prod_codec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodecServer]:
    """The codec endpoint with production settings."""
    with serve_codec(tmp_path_factory.mktemp("codec-prod"), "production") as server:
        yield server
