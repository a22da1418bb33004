"""The one percentile the benches print (nearest rank: 0.5 is the median of an odd count)."""

from __future__ import annotations


def percentile(values: list[int] | list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
