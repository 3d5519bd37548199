"""The fast median helpers of the observation step agree with numpy's median."""

import numpy as np
import pytest

from simulation.indicators import _few_medians, _medians, group_median


@pytest.mark.parametrize("n,k,n_groups", [(1, 0, 1), (2, 1, 2), (7, 3, 3), (50, 20, 5), (401, 150, 12)])
def test_fast_medians_equal_numpy(n, k, n_groups):
    """Territory / QPV (first k columns) / outside medians and per-group medians of several rows,
    with odd and even counts, empty QPV or outside parts and empty groups."""
    rng = np.random.default_rng(n)
    V = rng.normal(size=(3, n)).round(2)          # ties included
    groups = rng.integers(0, n_groups, n)
    groups[groups == n_groups - 1] = 0 if n_groups > 1 else groups[groups == n_groups - 1]  # one empty group
    counts = np.bincount(groups, minlength=n_groups).astype(float)
    tqo, per_group, _order = _medians(V, k, (groups, counts))
    for r in range(3):
        want = [np.median(V[r]), np.median(V[r, :k]) if k else np.nan,
                np.median(V[r, k:]) if k < n else np.nan]
        np.testing.assert_allclose(tqo[r], want, equal_nan=True)
        np.testing.assert_allclose(per_group[r], group_median(V[r], groups, n_groups), equal_nan=True)
        for g in range(n_groups):
            sel = V[r, groups == g]
            assert (np.isnan(per_group[r, g]) if sel.size == 0 else per_group[r, g] == np.median(sel))


def test_few_medians_equal_numpy():
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    groups = [0, 1, 0, 2, 1, 0, 2, 1]
    tqo, per_group = _few_medians(values, 3, (groups, 4))
    assert tqo[0].tolist() == [np.median(values), np.median(values[:3]), np.median(values[3:])]
    want = [np.median([v for v, g in zip(values, groups) if g == i]) if i in groups else np.nan
            for i in range(4)]
    np.testing.assert_allclose(per_group[0], want, equal_nan=True)
