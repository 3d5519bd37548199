"""Yearly rates turned into this month's events."""

from __future__ import annotations

import numpy as np

# Up to a yearly rate of 0.95 (the processes' cap) the monthly probability 1 - (1 - r)^(1/12) is at
# most 0.233 r; below 1e-9 the screen takes the floor instead of r.
SCREEN_FLOOR = 1e-9


def monthly(rate):
    """Monthly probability equivalent to a yearly rate (a number or an array)."""
    return 1.0 - (1.0 - rate) ** (1.0 / 12.0)


def drawn(u: np.ndarray, yearly: np.ndarray) -> np.ndarray:
    """Positions i (ascending) where the uniform draw u[i] falls under the monthly probability of
    the yearly rate yearly[i] (at most 0.95). The same positions as comparing u with `monthly(yearly)`
    everywhere, but the power, the costly part, is computed only for the draws under the yearly rate
    (a few per cent): the monthly probability is below the yearly rate, so no other draw can fall
    under it."""
    i = np.flatnonzero(u < yearly + SCREEN_FLOOR)
    return i[u[i] < monthly(yearly[i])]
