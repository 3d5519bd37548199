"""Calibration: target files (format and one-line errors), model statistics, ABC-SMC (priors within
the schema's bounds, determinism, resume, scenario files written back) and a parameter-recovery
test."""

from __future__ import annotations

import math

import pytest

from simulation.calibrate import stats
from simulation.calibrate.targets import TARGETS_DIR, load_targets
from simulation.fmt import set_lang, get_lang
from simulation.scenario import ScenarioError, load_scenario

SHORT = {"run.years": 3, "run.spin_up_years": 2, "territory.scale_to_dwellings": 600}


@pytest.fixture
def french():
    previous = get_lang()
    set_lang("fr")
    yield
    set_lang(previous)


# ------------------------------------------------------------------------------------- targets
def test_shipped_france_targets_are_valid_and_sourced():
    ts = load_targets("france")
    assert (TARGETS_DIR / "france.yaml").is_file()
    assert len(ts.fitted) >= 6 and len(ts.held_out) >= 2
    for t in ts.targets:
        assert t.statistic in stats.STATISTICS
        assert t.uncertainty > 0 and math.isfinite(t.observed)
        assert any(ch.isdigit() for ch in t.source), t.source      # a source names its year


def _write(tmp_path, body: str):
    p = tmp_path / "cibles.yaml"
    p.write_text("name: essai\ntargets:\n" + body, encoding="utf-8")
    return p


@pytest.mark.parametrize("body, field, words", [
    ("  - {statistic: turnover_rat, value: 0.1, sd: 0.01, period: 2020, source: SDES 2020}\n",
     "targets[0].statistic", "statistique inconnue 'turnover_rat'"),
    ("  - {statistic: turnover_rate, value: 0.1, period: 2020, source: SDES 2020}\n",
     "targets[0]", "ajoutez sd"),
    ("  - {statistic: turnover_rate, value: 0.1, sd: 0, period: 2020, source: SDES 2020}\n",
     "targets[0].sd", "> 0"),
    ("  - {statistic: turnover_rate, interval: [0.2, 0.1], period: 2020, source: SDES 2020}\n",
     "targets[0].interval", "bas < haut"),
    ("  - {statistic: turnover_rate, value: 0.1, sd: 0.01, interval: [0, 1], period: 2020, source: SDES 2020}\n",
     "targets[0]", "pas les deux"),
    ("  - {statistic: turnover_rate, value: 0.1, sd: 0.01, period: 2020, source: SDES 2020, role: fitt}\n",
     "targets[0].role", "'fitt'"),
    ("  - {statistic: turnover_rate, value: 0.1, sd: 0.01, period: 2020}\n",
     "targets[0].source", "absent"),
    ("  - {statistic: turnover_rate, value: 0.1, sd: 0.01, period: 2020, source: SDES 2020, colour: red}\n",
     "targets[0].colour", "champ inconnu"),
])
def test_target_errors_are_one_french_line_naming_file_and_field(tmp_path, french, body, field, words):
    p = _write(tmp_path, body)
    with pytest.raises(ScenarioError) as e:
        load_targets(p)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(f"{p}: {field}") or msg.startswith(f"{p.name}: {field}") or f": {field}:" in msg, msg
    assert words in msg, msg


def test_interval_target_reads_as_a_90_percent_range(tmp_path):
    p = _write(tmp_path, "  - {statistic: refusal_rate, interval: [0.2, 0.5], period: 2017, source: BdT 2017}\n")
    t = load_targets(p).targets[0]
    assert t.observed == pytest.approx(0.35)
    assert t.uncertainty == pytest.approx(0.15 / 1.645, rel=1e-3)
    assert t.role == "fit"


def test_missing_target_file_names_the_shipped_sets(tmp_path, french):
    with pytest.raises(ScenarioError, match="france"):
        load_targets(tmp_path / "nope.yaml")


# ---------------------------------------------------------------------------------- statistics
def test_statistics_of_a_short_run_are_plausible():
    raw = load_scenario("baseline", SHORT).model_dump(mode="json")
    s = stats.simulate(raw, seed=1, last_years=2)
    assert list(s) == list(stats.STATISTICS)
    assert 0.03 < s["turnover_rate"] < 0.2
    assert 0.02 < s["exit_rate"] < s["turnover_rate"]          # exits free part of what is let
    assert 0 < s["transfer_share_allocations"] < 0.6
    assert 0.1 < s["refusal_rate"] < 0.8
    assert 0 < s["q1_share_allocations_outside_qpv"] < 0.5
    assert 1 < s["wait_months_mean"] < 60
    assert 0 <= s["vacancy_rate"] < 0.1
    assert 1 < s["applications_per_allocation"] < 20
    assert stats.simulate(raw, seed=1, last_years=2) == s                # a run is its seed
