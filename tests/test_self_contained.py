"""What users read stands on its own: no text points to material outside the repository (team
files, design-note sections, numbered facts or issue numbers). Sources are cited by name and year.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = re.compile(
    r"\.\./shared|\bshared/(?:DESIGN|GLOSSARY|targets|seeds|bench)"  # paths outside the repository
    r"|DESIGN(?:\.md| ?§)|GLOSSARY\.md"                             # the team's design notes
    r"|france\.yaml|targets/|\bseeds?/|\b[Ss]eed 00\d"               # the team's figures and seeds
    r"|\b[Ff]acts? ?\d|(?<![a-z])fact\d"                                    # numbered stylised facts
    r"|\b[Ii]ssues? ?#\d|\(#\d+\)"                                    # issue numbers
)

# Known exceptions, until the coordinator applies the replacement list at merge time:
# simulation/schema.py is edited in parallel on other branches, and docs/parameters.md is generated
# from it (python -m simulation.schema_doc > docs/parameters.md).
KNOWN: set[str] = set()


def _user_facing() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder, pattern in (("docs", "*.md"), ("docs", "*.ipynb"), ("simulation", "*.py"),
                            ("scenarios", "**/*.yaml"), ("benchmarks", "*.py"), ("calibration", "*.py")):
        files += sorted((ROOT / folder).glob(pattern))
    return files


def test_the_scan_covers_the_user_facing_text():
    names = {p.relative_to(ROOT).as_posix() for p in _user_facing()}
    for must in ("README.md", "docs/model.md", "docs/glossaire.md", "docs/outputs.md", "docs/levers.md",
                 "simulation/model.py", "scenarios/baseline.yaml", "scenarios/scoring/need_first.yaml",
                 "benchmarks/run_benchmarks.py"):
        assert must in names, must


def test_the_pattern_catches_what_it_should():
    for bad in ("see ../shared/DESIGN.md", "DESIGN §5", "(france.yaml q1_threshold)", "seed 004 §3",
                "fact 4", "facts 3-7", "issue #2", "test_fact3_x", "(#12)"):
        assert FORBIDDEN.search(bad), bad
    for ok in ("IREV 2023 §3.3", "seed=3", "--seed 3", "seeds 1..5", "color #555555", "CCH L441-1",
               "stylised fact: single rent"):
        assert not FORBIDDEN.search(ok), ok


@pytest.mark.parametrize("path", _user_facing(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_reference_outside_the_repository(path):
    rel = path.relative_to(ROOT).as_posix()
    hits = [f"{rel}:{i}: {line.strip()}" for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if FORBIDDEN.search(line)]
    if rel in KNOWN and hits:
        pytest.xfail(f"known exception until the merge applies the replacement list ({len(hits)} lines)")
    assert not hits, "cite sources by name and year instead:\n" + "\n".join(hits)
