"""Message catalogues (Danish first, English) and locale-aware formatting with Babel."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.numbers import format_decimal

LANGUAGES = ("da", "en")  # Danish is the default
LOCALES = {"da": "da_DK", "en": "en_GB"}
_HERE = Path(__file__).parent


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


def number(value: float, lang: str = "da", digits: int = 2) -> str:
    """A number as the locale writes it: 0,83 in Danish, 0.83 in English."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def timestamp(value: datetime, lang: str = "da") -> str:
    """A date and time as the locale writes it, e.g. '22. nov. 2026 10.15'."""
    return format_datetime(value, format="medium", locale=LOCALES[lang])
