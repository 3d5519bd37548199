"""Language and number formatting for everything users read (CLI, summaries, comparisons, reports).

One current language, French by default (`set_lang("en")` switches; the CLI's `--lang` does it):

    num(1234.5, 1)      -> "1 234,5"   | "1,234.5"
    pct(0.309)          -> "30,9 %"    | "30.9%"
    signed(90600)       -> "+90 600"   | "+90,600"
    signed(0.021, pct=True) -> "+2,1 pts" | "+2.1 pts"   (a difference of shares, in points)
    tr("Graine", "Seed")    -> the text of the current language

French follows the usual typography: decimal comma, narrow no-break space (U+202F) between
thousands and before "%"; missing values are "n.d." ("n/a" in English).
"""

from __future__ import annotations

import math
import os

LANGS = ("fr", "en")
_NBSP = "\u202f"   # narrow no-break space: French thousands separator and space before %

_lang = os.environ.get("PEUPLEMENT_LANG", "fr") if os.environ.get("PEUPLEMENT_LANG") in LANGS else "fr"


def set_lang(lang: str) -> None:
    """Set the language of messages and numbers ('fr' or 'en')."""
    global _lang
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    _lang = lang


def get_lang() -> str:
    return _lang


def tr(fr: str, en: str, lang: str | None = None) -> str:
    """The French or English text, by the current language (or `lang`)."""
    return en if (lang or _lang) == "en" else fr


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return not math.isfinite(float(v))
    except (TypeError, ValueError):
        return True


def _na(lang: str | None) -> str:
    return tr("n.d.", "n/a", lang)


def _localise(s: str, lang: str | None) -> str:
    """Turn a Python-formatted number ('1,234.5') into the language's form."""
    if (lang or _lang) == "en":
        return s
    return s.replace(",", _NBSP).replace(".", ",")


def num(v, decimals: int = 0, lang: str | None = None) -> str:
    """A number with thousands separators: '1 234,5' (fr) or '1,234.5' (en)."""
    if _missing(v):
        return _na(lang)
    return _localise(f"{float(v):,.{decimals}f}", lang)


def pct(v, decimals: int = 1, lang: str | None = None) -> str:
    """A share (0.309) as a percentage: '30,9 %' (fr) or '30.9%' (en)."""
    if _missing(v):
        return _na(lang)
    s = _localise(f"{100 * float(v):,.{decimals}f}", lang)
    return s + (f"{_NBSP}%" if (lang or _lang) != "en" else "%")


def signed(v, decimals: int | None = None, pct: bool = False, lang: str | None = None) -> str:
    """A difference with its sign: '+90 600', '-3,2' or, for shares (pct=True), '+2,1 pts'
    (percentage points; default decimals 0 for numbers, 1 for points)."""
    if _missing(v):
        return _na(lang)
    x = 100 * float(v) if pct else float(v)
    d = (1 if pct else 0) if decimals is None else decimals
    x = round(x, d) + 0.0          # no "-0,0": a difference that rounds to zero is +0
    s = _localise(f"{x:+,.{d}f}", lang)
    return s + (" pts" if pct else "")


__all__ = ["LANGS", "set_lang", "get_lang", "tr", "num", "pct", "signed"]
