"""Calibration of the model's behavioural parameters against observed figures.

- `targets`: observed figures as data (YAML files, validated, one-line errors);
- `stats`: the model statistics those figures are compared with, computed from a finished run;
- `abc`: Bayesian calibration by ABC-SMC (pyabc) on Dask, resumable, with diagnostics and the
  posterior written back as scenario files (`peuplement calibrate`).
"""
