"""The JSON Schema of an onboarding request states what its validators enforce, character for character."""

from __future__ import annotations

import re
import unicodedata

import pytest
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from domain.onboarding import CONTROL_RANGES, PRINTABLE, SPACE_RANGES, Email, Text


def _code_points(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {point for low, high in ranges for point in range(low, high + 1)}


@pytest.mark.skipif(unicodedata.unidata_version != "14.0.0", reason="the ranges are Unicode 14's")
def test_the_ranges_are_the_controls_and_the_other_whitespace() -> None:
    every = [chr(point) for point in range(0x110000)]
    controls = {ord(ch) for ch in every if unicodedata.category(ch) in {"Cc", "Cf"}}
    assert _code_points(CONTROL_RANGES) == controls
    assert _code_points(SPACE_RANGES) == {ord(ch) for ch in every if ch.isspace()} - controls


_EDGES = [chr(low) for low, _ in CONTROL_RANGES + SPACE_RANGES]
#: every character but lone surrogates (category Cs): no UTF-8 body carries one, pydantic refuses one sent
#: as a JSON escape as no text (422), and a pattern naming them is one schemathesis cannot use
_CHARACTERS = st.characters(exclude_categories=["Cs"])


@given(st.text(st.one_of(_CHARACTERS, st.sampled_from(_EDGES)), min_size=1, max_size=12))
def test_the_printable_pattern_admits_exactly_the_text_the_validator_does(value: str) -> None:
    try:
        TypeAdapter(Text).validate_python(value)
        valid = True
    except ValidationError:
        valid = False
    assert (re.fullmatch(PRINTABLE, value) is not None) == valid


@pytest.mark.parametrize("name", SPECIAL_USE_DOMAIN_NAMES)
def test_the_email_pattern_names_every_special_use_domain_the_validator_refuses(name: str) -> None:
    address = f"owner@clinic.{name.upper()}"
    with pytest.raises(ValidationError):
        TypeAdapter(Email).validate_python(address)
    refused = TypeAdapter(Email).json_schema()["not"]["pattern"]
    assert re.search(refused, address) and not re.search(refused, "owner@clinic.example")
