"""Message catalogues (Danish first, English) and locale-aware formatting with Babel."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeGuard

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("da", "en")  # Danish is the default
LOCALES = {"da": "da_DK", "en": "en_GB"}
MISSING = "–"  # shown for an undefined estimate or a withheld count
_HERE = Path(__file__).parent

__all__ = [
    "LANGUAGES",
    "MISSING",
    "catalogue",
    "count",
    "day",
    "estimate",
    "number",
    "percent",
    "t",
    "tf",
    "timestamp",
]


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGUAGES}")
    return dict(json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8")))


def t(key: str, lang: str = "da") -> str:
    """The message ``key`` in ``lang``.

    Raises:
        KeyError: the key is missing from that catalogue (a test checks both are complete).
    """
    return catalogue(lang)[key]


def tf(key: str, lang: str = "da", **values: Any) -> str:
    """The message ``key`` with ``{name}`` placeholders filled from ``values``."""
    return t(key, lang).format(**values)


def number(value: float, lang: str = "da", digits: int = 2) -> str:
    """A number as the locale writes it: 0,83 in Danish, 0.83 in English."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def timestamp(value: datetime, lang: str = "da") -> str:
    """A date and time as the locale writes it, e.g. '22. nov. 2026 10.15'."""
    return format_datetime(value, format="medium", locale=LOCALES[lang])


def day(value: date | str, lang: str = "da") -> str:
    """A date as the locale writes it: '22. nov. 2026' in Danish, '22 Nov 2026' in English.

    Args:
        value: a date, or an ISO date string such as '2026-11-22' (time parts are ignored).
    """
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, format="medium", locale=LOCALES[lang])


def percent(value: float, lang: str = "da", digits: int = 1) -> str:
    """A share as a percentage: '12,3 %' in Danish, '12.3%' in English."""
    pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    return format_percent(value, format=pattern, locale=LOCALES[lang])


def count(value: Any, lang: str = "da") -> str:
    """A published count: a whole number, '<5' when suppressed, a dash when withheld."""
    if isinstance(value, bool) or value is None:
        return MISSING
    if isinstance(value, int | float) and math.isfinite(value):
        return number(value, lang, 0)
    return str(value)  # the disclosure checker's "<5"


def estimate(value: Mapping[str, Any] | None, lang: str = "da", digits: int = 2) -> str:
    """An estimate with its 95% interval, e.g. '0,81 (0,78–0,84)'; a dash if undefined."""
    if not value or not _finite(value.get("value")):
        return MISSING
    text = number(value["value"], lang, digits)
    low, high = value.get("low"), value.get("high")
    if _finite(low) and _finite(high):
        # "-0,30–-0,01" misreads; a word separates negative bounds: "-0,30 til -0,01".
        between = "–" if low >= 0 else f" {t('common.to', lang)} "
        text += f" ({number(low, lang, digits)}{between}{number(high, lang, digits)})"
    return text


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
