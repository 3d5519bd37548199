"""Calibration and sensitivity analysis of the model's parameters (issue #14)."""
