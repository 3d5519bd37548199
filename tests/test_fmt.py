"""Numbers and words as users read them: French by default, English on request (simulation.fmt)."""

import math

import pytest

from simulation import fmt


@pytest.mark.parametrize("call, fr, en", [
    (lambda l: fmt.num(1234.5, 1, lang=l), "1\u202f234,5", "1,234.5"),
    (lambda l: fmt.num(90600, lang=l), "90\u202f600", "90,600"),
    (lambda l: fmt.num(0.3051, 3, lang=l), "0,305", "0.305"),
    (lambda l: fmt.pct(0.309, lang=l), "30,9\u202f%", "30.9%"),
    (lambda l: fmt.pct(1, 0, lang=l), "100\u202f%", "100%"),
    (lambda l: fmt.signed(90600, lang=l), "+90\u202f600", "+90,600"),
    (lambda l: fmt.signed(-3.24, 1, lang=l), "-3,2", "-3.2"),
    (lambda l: fmt.signed(0.021, pct=True, lang=l), "+2,1 pts", "+2.1 pts"),
    (lambda l: fmt.pct(math.nan, lang=l), "n.d.", "n/a"),
    (lambda l: fmt.num(None, lang=l), "n.d.", "n/a"),
    (lambda l: fmt.tr("Graine", "Seed", lang=l), "Graine", "Seed"),
])
def test_french_and_english_forms(call, fr, en):
    assert call("fr") == fr and call("en") == en


def test_current_language_is_switchable():
    before = fmt.get_lang()
    try:
        fmt.set_lang("fr")
        assert fmt.pct(0.5) == "50,0\u202f%"
        fmt.set_lang("en")
        assert fmt.pct(0.5) == "50.0%"
        with pytest.raises(ValueError):
            fmt.set_lang("de")
    finally:
        fmt.set_lang(before)
