"""The built-in scenarios and scoring grids (YAML), installed as the package data
`simulation.scenarios` so that a plain install finds them (see pyproject.toml)."""
