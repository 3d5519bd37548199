"""The baseline's headline series over 20 years, median and 10-90 % band over seeds, monthly
(yearly for tension), to show that the run starts at its own steady state.

    python calibration/baseline_band.py [--seeds 10] [--out docs/figures/baseline_band.png]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERIES = (  # indicator, scale, period, French title
    ("q1_share_tenants", "qpv", "month", "Locataires du 1er quartile, QPV"),
    ("q1_share_tenants", "outside_qpv", "month", "Locataires du 1er quartile, hors QPV"),
    ("dissimilarity_q1", "neighbourhood", "month", "Dissimilarité du Q1 entre quartiers"),
    ("share_tenants_under_40pct_plus_ceiling", "territory", "month",
     "Locataires sous 40 % du plafond PLUS"),
    ("applications_per_allocation", "territory", "year", "Demandes par attribution (année)"),
    ("q1_share_allocations_outside_qpv", "territory", "year", "Attributions hors QPV au Q1 (année)"),
)


def one(seed: int, spin_up: int | None):
    from simulation.model import HousingModel
    from simulation.scenario import load_scenario
    run = {"seed": seed}
    if spin_up is not None:
        run["spin_up_years"] = spin_up
    m = HousingModel(load_scenario(ROOT / "scenarios" / "baseline.yaml", {"run": run}))
    m.run()
    df = m.indicators()
    out = {}
    for ind, scale, period, _ in SERIES:
        s = df[(df.indicator == ind) & (df.scale == scale) & (df.period == period)]
        if period == "year":
            s = s[s.month > 0]
        out[(ind, scale)] = (s.month.to_numpy() / 12.0, s.value.to_numpy())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default=str(ROOT / "docs" / "figures" / "baseline_band.png"))
    ap.add_argument("--compare-no-spin-up", action="store_true",
                    help="also draw the drawn-state start (spin_up_years 0) in grey")
    a = ap.parse_args()
    seeds = list(range(1, a.seeds + 1))
    with ProcessPoolExecutor(max_workers=2) as ex:
        runs = list(ex.map(one, seeds, [None] * len(seeds)))
        old = list(ex.map(one, seeds, [0] * len(seeds))) if a.compare_no_spin_up else []
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (ind, scale, period, title) in zip(axes.ravel(), SERIES):
        for group, colour, lab in ((old, "0.6", "sans mise en route"), (runs, "C0", "avec mise en route")):
            if not group:
                continue
            x = group[0][(ind, scale)][0]
            Y = np.vstack([r[(ind, scale)][1] for r in group])
            ax.fill_between(x, np.nanpercentile(Y, 10, axis=0), np.nanpercentile(Y, 90, axis=0),
                            color=colour, alpha=0.25, lw=0)
            ax.plot(x, np.nanmedian(Y, axis=0), color=colour, lw=1.3, label=lab)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("années depuis le début")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"Scénario de référence : médiane et bande 10-90 % sur {len(seeds)} graines", fontsize=11)
    fig.tight_layout()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out, dpi=100, metadata={"Software": None})
    print(a.out)


if __name__ == "__main__":
    main()
