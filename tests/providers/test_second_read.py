"""A lookup that pages through a list reads it once more before it says "not there"."""

from __future__ import annotations

from providers.http import found_on_second_read


async def test_an_item_stepped_over_by_the_first_read_is_found_by_the_second() -> None:
    reads: list[str | None] = [None, "SA_1"]

    async def read() -> str | None:
        return reads.pop(0)

    assert await found_on_second_read(read) == "SA_1"


async def test_a_first_hit_is_not_read_again_and_two_misses_are_a_miss() -> None:
    calls = 0

    async def miss() -> str | None:
        nonlocal calls
        calls += 1
        return None

    async def hit() -> str | None:
        return "SA_2"

    assert await found_on_second_read(miss) is None and calls == 2
    assert await found_on_second_read(hit) == "SA_2"
