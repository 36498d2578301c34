"""Numbers from text, safely: pandas' own parser crashes the process on some texts.

``pd.to_numeric`` (pandas 2.3) ends the Python process with a segmentation fault on a text
such as ``"5e285695246783"`` (a decimal exponent of a dozen digits); a hexadecimal
pseudonym or any free text can hold one. :func:`to_numbers` hands pandas only texts that
are plainly decimal numbers, with an exponent of at most three digits; every other text is
missing (NaN), as with ``errors="coerce"``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# A decimal number as text: sign, digits with a point (or a Danish decimal comma when asked),
# an exponent of 1-3 digits. Anything else is not read as a number.
DECIMAL = re.compile(r"\s*[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d{1,3})?\s*")


def to_numbers(values: pd.Series, *, decimal_comma: bool = True) -> pd.Series:
    """``values`` as float64; text that is not a decimal number becomes NaN.

    Args:
        values: any column (numbers pass through; booleans become 0/1).
        decimal_comma: read "7,2" as 7.2 (Danish exports); False leaves it unread (NaN).
    """
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    text = values.astype("string")
    plain = text.str.fullmatch(DECIMAL.pattern).fillna(False).to_numpy(dtype=bool)
    if not decimal_comma:
        plain &= ~text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    if plain.any():
        chosen = text[plain].str.strip().str.replace(",", ".", regex=False)
        out[plain] = pd.to_numeric(chosen, errors="coerce").astype("float64").to_numpy()
    return out
