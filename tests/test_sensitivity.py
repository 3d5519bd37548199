"""Sensitivity analysis (simulation/calibrate/sensitivity.py, `peuplement sensitivity`).

The real model is run once, tiny (baseline town, one spin-up year, one reported year, 2 Morris
trajectories), through the command line: the commissions' steering must come first for the Q1 share
of allocations outside QPV and the poverty line (an observation setting, no effect on who is housed
where) must have exactly no effect, since every point uses the same seeds. The rest uses the
analytic stand-in (outputs linear in the parameters, known indices), cheap enough for Dask.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.calibrate import sensitivity as S
from simulation.cli import main


def write_config(folder: Path, parameters: list[dict], **extra) -> Path:
    cfg = {"name": "test", "scenario": "baseline", "set": {"run.spin_up_years": 1}, "years": 1,
           "last_years": 1, "seeds": 1, "morris": {"trajectories": 3, "levels": 4},
           "parameters": parameters, "outputs": ["q1_share_allocations_outside_qpv", "dissimilarity_q1"]}
    cfg.update(extra)
    p = folder / "sens.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


STEERING = {"field": "allocation.mix_rules.steering", "low": 0.0, "high": 1.0, "kind": "assumption"}
POVERTY = {"field": "observation.poverty_line_uc", "low": 12000, "high": 18000, "kind": "assumption"}
REFUSAL = {"field": "behaviour.refusals.qpv", "low": 0.0, "high": 1.2, "kind": "assumption",
           "label": "refus en QPV"}
WEIGHTS = {"q1_share_allocations_outside_qpv": [1.0, 0.5, 0.0],
           "dissimilarity_q1": [0.0, 0.2, 2.0]}


def test_cli_end_to_end_ranks_a_driver_above_a_parameter_without_effect(tmp_path, capsys):
    cfg = write_config(tmp_path, [POVERTY, STEERING], morris={"trajectories": 2, "levels": 4})
    out = tmp_path / "out"
    assert main(["sensitivity", str(cfg), "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Results written to" in printed and "6 run(s) done" in printed
    res = out / "results"
    for f in ("indices.csv", "indices.plain.csv", "design.csv", "outputs_by_run.csv",
              "outputs_by_point.csv", "problem.json", "config.yaml", "base_scenario.yaml", "morris.png"):
        assert (res / f).is_file(), f
    t = pd.read_csv(res / "indices.plain.csv")
    q1 = t[t["output"] == "q1_share_allocations_outside_qpv"].set_index("parameter")
    assert q1.loc["allocation.mix_rules.steering", "rank"] == 1
    assert q1.loc["allocation.mix_rules.steering", "mu_star"] > 0.02
    assert q1.loc["observation.poverty_line_uc", "mu_star"] == 0.0      # common random numbers
    design = pd.read_csv(res / "design.csv")
    raw = pd.read_csv(res / "outputs_by_run.csv")
    assert len(design) == 2 * 3 and len(raw) == len(design)            # r (k + 1) points, 1 seed
    # rerunning the same command reuses every run
    assert main(["sensitivity", str(cfg), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    assert "0 run(s) done, 6 reused" in capsys.readouterr().out


def test_out_of_bounds_parameter_is_one_french_line(tmp_path, capsys):
    cfg = write_config(tmp_path, [dict(STEERING, high=1.5), POVERTY])
    with pytest.raises(SystemExit) as e:
        main(["--lang", "fr", "sensitivity", str(cfg), "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "sens.yaml" in err and "parameters[0] (allocation.mix_rules.steering)" in err
    assert "hors des bornes du schéma [0, 1]" in err and "choisissez high dans [0, 1]" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("param, words", [
    (dict(STEERING, low=0.8, high=0.2), "must be below high"),
    ({"field": "allocation.mix_rules.strenght", "low": 0, "high": 1, "kind": "assumption"}, "unknown field"),
    ({"field": "allocation.legal_quotas.q1_outside_qpv", "low": 0.2, "high": 0.4, "kind": "lever"},
     "not active in the base scenario"),
    ({"field": "behaviour.refusals.enabled", "low": 0, "high": 1, "kind": "assumption"}, "not a number"),
    ({"field": "behaviour.exits.quartile_multipliers.0", "low": 0.5, "high": 50, "kind": "assumption"},
     "outside the schema's bounds"),
])
def test_bad_parameters_are_refused(tmp_path, param, words):
    cfg = write_config(tmp_path, [param])
    with pytest.raises(S.SensitivityError, match=words):
        S.load_config(cfg)


def test_missing_config_is_one_line(tmp_path):
    with pytest.raises(S.SensitivityError, match="config file not found"):
        S.load_config(tmp_path / "nope.yaml")


def test_levers_and_assumptions_kept_apart_unless_asked(tmp_path):
    lever = {"field": "rehousing.target_outside_qpv", "low": 0.2, "high": 0.6, "kind": "lever"}
    with pytest.raises(S.SensitivityError, match="mix_kinds: true"):
        S.load_config(write_config(tmp_path, [STEERING, lever]))
    cfg = S.load_config(write_config(tmp_path, [STEERING, lever], mix_kinds=True))
    assert [p.kind for p in cfg.parameters] == ["assumption", "lever"]
    with pytest.raises(S.SensitivityError, match="outputs\\[0\\].*unknown output"):
        S.load_config(write_config(tmp_path, [STEERING], outputs=["nope"]))
    with pytest.raises(S.SensitivityError, match="power of two.*64"):
        S.load_config(write_config(tmp_path, [STEERING], method="sobol", sobol={"n": 60}))


def test_list_item_bounds_come_from_the_schema(tmp_path):
    cfg = S.load_config(write_config(tmp_path, [
        {"field": "behaviour.exits.quartile_multipliers.0", "low": 0.5, "high": 2, "kind": "assumption"},
        {"field": "allocation.candidates_per_dwelling", "low": 1, "high": 6, "kind": "assumption"}]))
    assert [p.integer for p in cfg.parameters] == [False, True]
    assert all(isinstance(v, int) for v in
               (S.applied_values(cfg, x)[1] for x in S.sample(cfg)))


def _analytic_config(tmp_path, **extra):
    return S.load_config(write_config(tmp_path, [STEERING, REFUSAL, dict(POVERTY)], **extra))


def test_analytic_morris_and_sobol_find_the_known_indices(tmp_path):
    cfg = _analytic_config(tmp_path, morris={"trajectories": 6, "levels": 4})
    res = S.run_sensitivity(cfg, tmp_path / "m", workers=1, runner=S.analytic_runner(cfg, WEIGHTS))
    t = res.table.set_index(["output", "parameter"])
    for o, ws in WEIGHTS.items():
        for p, w in zip(cfg.parameters, ws):
            assert t.loc[(o, p.field), "mu_star"] == pytest.approx(w, abs=1e-9)
    assert list(res.table[res.table["output"] == "q1_share_allocations_outside_qpv"]["parameter"]) == \
        ["allocation.mix_rules.steering", "behaviour.refusals.qpv", "observation.poverty_line_uc"]

    cfg = _analytic_config(tmp_path, method="sobol", sobol={"n": 128})
    res = S.run_sensitivity(cfg, tmp_path / "s", workers=1, runner=S.analytic_runner(cfg, WEIGHTS))
    t = res.table.set_index(["output", "parameter"])
    for o, ws in WEIGHTS.items():
        total = sum(w * w for w in ws)
        for p, w in zip(cfg.parameters, ws):
            assert t.loc[(o, p.field), "ST"] == pytest.approx(w * w / total, abs=0.02)
            assert t.loc[(o, p.field), "S1"] == pytest.approx(w * w / total, abs=0.02)
    assert (tmp_path / "s" / "results" / "sobol.png").is_file()

    cfg = _analytic_config(tmp_path, method="sobol", sobol={"n": 32, "second_order": True})
    res = S.run_sensitivity(cfg, tmp_path / "s2", workers=1, runner=S.analytic_runner(cfg, WEIGHTS))
    s2 = pd.read_csv(res.results / "indices_second_order.plain.csv")
    assert len(s2) == 2 * 3 and s2["S2"].abs().max() < 0.15         # additive: no interaction (± estimator noise)


def test_same_config_same_table_with_one_or_two_workers(tmp_path):
    cfg = _analytic_config(tmp_path, seeds=2)
    run = S.analytic_runner(cfg, WEIGHTS)
    a = S.run_sensitivity(cfg, tmp_path / "w1", workers=1, runner=run)
    b = S.run_sensitivity(cfg, tmp_path / "w2", workers=2, runner=run)
    assert not a.failures and not b.failures and b.ran == a.runs
    for f in ("indices.csv", "design.csv", "outputs_by_run.csv", "outputs_by_point.csv"):
        assert (a.results / f).read_bytes() == (b.results / f).read_bytes(), f
    # the stand-in ignores the seed: no seed noise
    assert (a.table["noise_var_share"] == 0).all() and (a.table["mu_star_noise"] == 0).all()


def test_interrupted_analysis_resumes_from_cached_points(tmp_path):
    cfg = _analytic_config(tmp_path)
    run = S.analytic_runner(cfg, WEIGHTS)
    done = []

    def interrupted(spec, root):
        if len(done) == 4:
            raise KeyboardInterrupt
        done.append(spec.key)
        return run(spec, root)

    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        S.run_sensitivity(cfg, out, workers=1, runner=interrupted)
    assert not (out / "results").exists()                      # results: complete or absent
    assert sorted(p.name for p in (out / "runs").iterdir() if not p.name.startswith(".")) == sorted(done)
    calls = []

    def counting(spec, root):
        calls.append(spec.key)
        return run(spec, root)

    res = S.run_sensitivity(cfg, out, workers=1, runner=counting)
    assert res.reused == 4 and res.ran == res.runs - 4 and not set(calls) & set(done)
    fresh = S.run_sensitivity(cfg, tmp_path / "fresh", workers=1, runner=run)
    assert (res.results / "indices.csv").read_bytes() == (fresh.results / "indices.csv").read_bytes()
    marker = json.loads((out / S.MARKER).read_text(encoding="utf-8"))
    assert marker["runs"] == res.runs


def test_output_folder_of_something_else_is_refused(tmp_path):
    cfg = _analytic_config(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    with pytest.raises(S.SensitivityError, match="not an earlier sensitivity analysis"):
        S.run_sensitivity(cfg, other, workers=1, runner=S.analytic_runner(cfg, WEIGHTS))


def test_shipped_france_config_loads():
    root = Path(__file__).resolve().parent.parent
    cfg = S.load_config(root / "calibration" / "france_sensitivity.yaml")
    assert len(cfg.parameters) == 5 and {p.kind for p in cfg.parameters} == {"assumption"}
    assert "q1_share_allocations_outside_qpv" in cfg.outputs
    assert np.isfinite(S.sample(cfg)).all()
