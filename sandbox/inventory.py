"""Deterministic number pools per country: the carrier's inventory and the agent platform's own range.

A country's pool is ``+<calling code><range><8-digit serial>`` for serials 1..POOL_SIZE, e.g.
``+918000000001`` (carrier, range 80) or ``+917000000001`` (agent platform, range 70). What is on offer
is the pool minus what is held, so a released number is back in the inventory at once.
"""

from __future__ import annotations

from collections.abc import Container, Iterator

POOL_SIZE = 10_000
CARRIER_RANGE = "80"
AGENTS_RANGE = "70"

CALLING_CODES: dict[str, str] = {
    "AE": "971",
    "AU": "61",
    "BR": "55",
    "CA": "1",
    "DE": "49",
    "ES": "34",
    "FR": "33",
    "GB": "44",
    "ID": "62",
    "IE": "353",
    "IN": "91",
    "IT": "39",
    "JP": "81",
    "MX": "52",
    "NL": "31",
    "NZ": "64",
    "PH": "63",
    "SG": "65",
    "US": "1",
    "ZA": "27",
}
#: calling code 1 is shared by CA and US: its numbers count as US (the last listed)
_COUNTRY_OF_CODE = {code: country for country, code in CALLING_CODES.items()}


def supported(country: str) -> bool:
    """Whether the sandbox has numbers in ``country`` (ISO 3166 alpha-2)."""
    return country in CALLING_CODES


def pool(country: str, number_range: str) -> Iterator[str]:
    """Every number of ``country``'s pool in ``number_range``, in order."""
    prefix = f"+{CALLING_CODES[country]}{number_range}"
    return (f"{prefix}{serial:08d}" for serial in range(1, POOL_SIZE + 1))


def available(country: str, number_range: str, held: Container[str], limit: int) -> list[str]:
    """The first ``limit`` numbers of the pool not in ``held``."""
    found: list[str] = []
    for number in pool(country, number_range):
        if number in held:
            continue
        found.append(number)
        if len(found) == limit:
            break
    return found


def country_of(number: str, number_range: str) -> str | None:
    """The country whose pool in ``number_range`` holds ``number``, or ``None``."""
    for code, country in _COUNTRY_OF_CODE.items():
        prefix = f"+{code}{number_range}"
        serial = number.removeprefix(prefix)
        if serial != number and len(serial) == 8 and serial.isdigit() and 1 <= int(serial) <= POOL_SIZE:
            return country
    return None
