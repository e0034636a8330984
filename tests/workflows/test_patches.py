"""The baseline patch stands for the changes made before it, and for no later one."""

from __future__ import annotations

import pytest

from workflows.patches import KYC_REMINDERS, Patches


def test_a_change_after_the_baseline_cannot_ride_on_it() -> None:
    # a run that recorded the baseline (what Patches() finds in a workflow's first task)
    patches = Patches.__new__(Patches)
    patches._baseline = True

    assert patches.taken(KYC_REMINDERS)
    with pytest.raises(ValueError, match="after the baseline"):
        patches.taken("a-change-made-later")
