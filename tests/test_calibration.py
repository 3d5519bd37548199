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


# --------------------------------------------------------------------------------- ABC-SMC
import time  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from simulation.calibrate.abc import load_config, run_calibration  # noqa: E402

TINY = {"run.spin_up_years": 1, "territory.scale_to_dwellings": 600}


def _config(folder, *, priors, targets, population=6, generations=2, seed=1, years=2, **extra):
    (folder / "cibles.yaml").write_text(yaml.safe_dump({"name": "essai", "targets": targets},
                                                       allow_unicode=True), encoding="utf-8")
    cfg = {"name": "essai", "base": "baseline", "targets": "cibles.yaml", "set": dict(TINY),
           "years": years, "last_years": years, "seed": seed, "population": population,
           "generations": generations, "posterior_samples": 2, "predictive_runs": 0, "priors": priors}
    cfg.update(extra)
    p = folder / "calibration.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


REFUSAL = {"behaviour.refusals.intercept": {"uniform": [-4.0, -1.0]}}
REFUSAL_TARGET = [{"statistic": "refusal_rate", "value": 0.4, "sd": 0.03, "period": 2020, "source": "essai 2020"},
                  {"statistic": "exit_rate", "value": 0.07, "sd": 0.01, "period": 2020, "source": "essai 2020",
                   "role": "hold_out"}]


def test_priors_outside_the_schema_bounds_are_refused(tmp_path, french):
    p = _config(tmp_path, priors={"behaviour.exits.base_rate": {"uniform": [-0.05, 0.1]}}, targets=REFUSAL_TARGET)
    with pytest.raises(ScenarioError) as e:
        load_config(p)
    msg = str(e.value)
    assert "\n" not in msg and "priors.behaviour.exits.base_rate" in msg and "limites du schéma" in msg, msg
    p = _config(tmp_path, priors={"behaviour.exits.base_rat": {"uniform": [0.01, 0.1]}}, targets=REFUSAL_TARGET)
    with pytest.raises(ScenarioError, match="priors.behaviour.exits.base_rat: pas de paramètre 'base_rat'"):
        load_config(p)
    p = _config(tmp_path, priors={"allocation.max_size_gap": {"uniform": [0, 2]}}, targets=REFUSAL_TARGET)
    with pytest.raises(ScenarioError, match="nombre entier"):
        load_config(p)
    p = _config(tmp_path, priors={"run.years": {"uniform": [1, 2]}}, targets=REFUSAL_TARGET)
    with pytest.raises(ScenarioError, match="priors"):
        load_config(p)
    p = _config(tmp_path, priors={"behaviour.exits.base_rate": {"uniform": [0.1, 0.05]}}, targets=REFUSAL_TARGET)
    with pytest.raises(ScenarioError, match=r"priors.*bas < haut"):
        load_config(p)


def test_shipped_france_configuration_loads():
    from pathlib import Path
    cal = load_config(Path(__file__).resolve().parent.parent / "calibration" / "france_calibration.yaml")
    assert len(cal.names) >= 3 and len(cal.targets.fitted) >= 6


def test_same_seed_same_posterior_resume_and_workers(tmp_path):
    """Two generations in one go (here) equal one generation then a resumed second (in another
    folder, on two Dask workers): resume continues the pyabc history, and the posterior depends
    only on the configuration."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    ra = run_calibration(_config(a, priors=REFUSAL, targets=REFUSAL_TARGET, generations=2), out=a / "out", workers=1)
    first = run_calibration(_config(b, priors=REFUSAL, targets=REFUSAL_TARGET, generations=1), out=b / "out",
                            workers=1)
    assert first.generations == 1
    rb = run_calibration(_config(b, priors=REFUSAL, targets=REFUSAL_TARGET, generations=2), out=b / "out",
                         workers=2)
    assert rb.resumed_from == 1 and rb.generations == 2 and ra.generations == 2
    assert len(rb.diagnostics) == 2
    np.testing.assert_allclose(np.sort(ra.posterior["behaviour.refusals.intercept"]),
                               np.sort(rb.posterior["behaviour.refusals.intercept"]))
    np.testing.assert_allclose(ra.diagnostics["epsilon"], rb.diagnostics["epsilon"])
    # another configuration in the same folder is refused, not mixed
    with pytest.raises(ScenarioError):
        run_calibration(_config(b, priors=REFUSAL, targets=REFUSAL_TARGET, generations=2, seed=2),
                        out=b / "out", workers=1)
    # the scenario files written back validate, extend the base and run
    med = load_scenario(a / "out" / "posterior_median.yaml", {"run.years": 1, "run.spin_up_years": 0})
    text = (a / "out" / "posterior_median.yaml").read_text(encoding="utf-8")
    assert "extends: baseline" in text
    w = ra.posterior["weight"].to_numpy()
    x = ra.posterior["behaviour.refusals.intercept"].to_numpy()
    assert x.min() <= med.behaviour.refusals.intercept <= x.max()
    assert med.territory.scale_to_dwellings == 600
    sample = sorted((a / "out" / "posterior").glob("sample_*.yaml"))
    assert len(sample) == 2
    sc = load_scenario(sample[0], {"run.years": 1, "run.spin_up_years": 0})
    from simulation.model import HousingModel
    HousingModel(sc).run()
    for name in ("posterior.csv", "posterior.parquet", "diagnostics.csv", "marginals.png", "abc.db"):
        assert (a / "out" / name).is_file(), name
    assert set(ra.diagnostics.columns) >= {"generation", "epsilon", "simulations", "acceptance_rate", "ess"}
    assert np.isclose(w.sum(), 1)


def _interval(post, name, q=(0.05, 0.95)):
    from simulation.calibrate.abc import _weighted_quantile
    w = post["weight"].to_numpy()
    return tuple(_weighted_quantile(post[name].to_numpy(), w, x) for x in q)


def test_parameter_recovery(tmp_path):
    """Simulation-based check: figures simulated with known parameters, calibrated from broad
    priors; the posterior 90 % interval covers each truth and is narrower than the prior."""
    t0 = time.perf_counter()
    priors = {"behaviour.refusals.intercept": {"uniform": [-4.5, -0.5]},
              "behaviour.exits.base_rate": {"uniform": [0.02, 0.14]}}
    truths = [{"behaviour.refusals.intercept": -3.2, "behaviour.exits.base_rate": 0.04},
              {"behaviour.refusals.intercept": -1.5, "behaviour.exits.base_rate": 0.10}]
    report = []
    for k, truth in enumerate(truths):
        raw = load_scenario("baseline", {**TINY, "run.years": 2, **truth}).model_dump(mode="json")
        obs = stats.simulate(raw, seed=1000 + k, last_years=2)
        targets = [{"statistic": "refusal_rate", "value": float(obs["refusal_rate"]), "sd": 0.03,
                    "period": 2020, "source": "simulation 2020"},
                   {"statistic": "exit_rate", "value": float(obs["exit_rate"]), "sd": 0.006,
                    "period": 2020, "source": "simulation 2020"}]
        folder = tmp_path / f"truth{k}"
        folder.mkdir()
        res = run_calibration(_config(folder, priors=priors, targets=targets, population=12, generations=3,
                                      seed=k + 1), out=folder / "out", workers=1)
        for name, value in truth.items():
            lo, hi = _interval(res.posterior, name)
            plo, phi = priors[name]["uniform"]
            report.append((k, name, value, lo, hi, res.simulations))
            assert lo <= value <= hi, report
            assert hi - lo < 0.8 * (phi - plo), report
    print("recovery:", report, f"{time.perf_counter() - t0:.0f} s")
