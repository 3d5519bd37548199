"""The economy every money quantity follows: growth rates of prices, incomes, rents (IRL) and the
housing-benefit schedule, all kept in `economy:` of the scenario.

Amounts in the scenario are at the prices of January of `run.start_year`. `index(model, kind)` is
the factor that brings such an amount to the model's month: each kind is revalued once a year, in
its own month, from the second year on (the start year's amounts are the ones written). During the
spin-up (months <= 0) every index is 1: the model settles at start-year prices.

kinds and when they move (sources in docs/parameters.md, economy section):
- "prices"   consumer prices (INSEE CPI), each January: service charges, residual-income floors,
             the SLS reference rate;
- "income"   nominal income per consumption unit, each January for the incomes of households
             drawn that year (households already present grow quarterly in life_events);
- "rents"    rent revision index IRL, each January (CCH L. 353-9-3 and L. 442-1: social rents
             revised on 1 January, at most by the IRL);
- "ceilings" income ceilings, each January by the IRL (CCH R. 441-1: ceilings revised every
             1 January by the IRL variation);
- "apl"      housing-benefit schedule, each October by the IRL unless the law freezes it
             (CCH L. 823-4: parameters revalued every 1 October).
"""

from __future__ import annotations

# kind -> (field of EconomySpec holding the yearly rate, month of the year it is revalued)
KINDS = {
    "prices": ("inflation", 1),
    "income": ("income_growth", 1),
    "rents": ("irl", 1),
    "ceilings": ("irl", 1),
    "apl": ("apl_revaluation", 10),
}


def rate(scenario, kind: str) -> float:
    """Yearly growth rate of a kind of amount."""
    return float(getattr(scenario.economy, KINDS[kind][0]))


def revaluations(month: int, revalue_month: int) -> int:
    """How many yearly revaluations in month `revalue_month` of the year happened in months
    2..month (month 1 is January of the start year, whose amounts are the scenario's)."""
    if month < 2:
        return 0
    # months m in [2, month] with (m - 1) % 12 + 1 == revalue_month
    first = revalue_month if revalue_month >= 2 else revalue_month + 12
    return 0 if month < first else (month - first) // 12 + 1


def index(model, kind: str, month: int | None = None) -> float:
    """Factor bringing a start-year amount of `kind` to `month` (default: the model's month)."""
    field, when = KINDS[kind]
    m = model.month if month is None else month
    return (1.0 + float(getattr(model.sc.economy, field))) ** revaluations(m, when)


def revalued_now(model, kind: str) -> bool:
    """Whether amounts of `kind` are revalued this month."""
    return revaluations(model.month, KINDS[kind][1]) != revaluations(model.month - 1, KINDS[kind][1])


def real_income(model, nominal, month: int | None = None):
    """Incomes deflated to start-year prices."""
    return nominal / index(model, "prices", month)


from .checks import check  # noqa: E402


@check
def _steady_start(scenario) -> list[str]:
    """A run without spin-up, or with rents outgrowing incomes, is not a steady baseline."""
    out = []
    if scenario.run.spin_up_years == 0:
        out.append("run.spin_up_years vaut 0 : les premières années partent de l'état tiré au hasard "
                   "et forment un régime transitoire ; mettre 6 (défaut) pour comparer des politiques")
    e = scenario.economy
    if e.irl > e.income_growth + 0.005:
        pct = lambda x: f"{100 * x:.1f} %".replace(".", ",")
        out.append(f"economy.irl ({pct(e.irl)}) dépasse economy.income_growth ({pct(e.income_growth)}) : "
                   "les loyers augmentent plus vite que les revenus et la référence dérive ; "
                   "égaliser les deux si ce n'est pas voulu")
    return out
