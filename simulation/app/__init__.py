"""Live web view for trainers (`peuplement app`): the town in the browser, teaching presets, live
charts and a commission replay. Served by Solara on this machine only, with every front-end asset
served locally (no internet connection needed)."""

from __future__ import annotations

import os


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True,
          preset: str | None = None) -> int:
    """Run the Solara server for the page until interrupted."""
    # Solara's server reports usage to an analytics service by default: never from a training room
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")   # front-end assets from the local copy
    if preset:
        os.environ["PEUPLEMENT_APP_PRESET"] = preset
    _widget_config_paths()
    from solara.__main__ import cli

    args = ["run", "simulation.app.page", "--host", host, "--port", str(port), "--production",
            "--open" if open_browser else "--no-open", "--log-level", "warning",
            "--log-level-uvicorn", "warning"]
    cli(args, standalone_mode=False)
    return 0


def _widget_config_paths() -> None:
    """Let Jupyter find the widget front-end config of the environment the widget packages are
    installed in, when it is not this interpreter's prefix (a virtual environment layered on a
    shared one): Solara reads the enabled notebook extensions from there."""
    from pathlib import Path

    import ipywidgets
    from jupyter_core.paths import jupyter_config_path

    if any((Path(p) / "nbconfig").is_dir() for p in jupyter_config_path()):
        return
    prefix = Path(ipywidgets.__file__).resolve().parents[4]
    for var, sub in (("JUPYTER_CONFIG_PATH", "etc/jupyter"), ("JUPYTER_PATH", "share/jupyter")):
        d = prefix / sub
        known = [p for p in os.environ.get(var, "").split(os.pathsep) if p]
        if d.is_dir() and str(d) not in known:
            os.environ[var] = os.pathsep.join(known + [str(d)])
