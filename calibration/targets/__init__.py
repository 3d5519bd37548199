"""The shipped calibration target sets (YAML), installed as the package data
`simulation.calibrate.targets_data` so that a plain install finds them (see pyproject.toml)."""
