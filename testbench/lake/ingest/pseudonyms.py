"""CPR numbers and the keyed pseudonyms that replace them in a lake.

A CPR number (the Danish civil registration number) is ``DDMMYY-SSSS``: the
date of birth and a four-digit serial whose first digit, with the year, gives
the century. It never enters a lake in clear. Ingestion replaces it with

    HMAC-SHA256(pseudonym key, "DDMMYYSSSS") truncated to 16 hex characters

so the same person has the same pseudonym in every source of one tenant (tables
join), a different one in every other tenant, and no one without the key can go
back from pseudonym to CPR number. The key is ``tenant.derived_key("pseudonym")``.

No modulus-11 check: CPR numbers issued since 2007 need not satisfy it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from testbench.lake.ingest.coded_columns import ASCII_BLANKS
from testbench.lake.ingest.column_types import by_unique

PSEUDONYM_LENGTH = 16  # hex characters kept of the HMAC-SHA256 digest (64 bits)
# What a quarantined row shows in place of a CPR column value that is not a valid CPR number.
CPR_MASK = "**********"

CPR_SHAPE = re.compile(r"^(\d{6})-?(\d{4})$")  # DDMMYY-SSSS or DDMMYYSSSS
# A value that is already a pseudonym (the simulator's pnr, or an earlier ingestion's output).
PSEUDONYM_SHAPE = re.compile(rf"^[0-9a-f]{{{PSEUDONYM_LENGTH}}}$")
SHA256_BLOCK = 64  # bytes: HMAC pads (or hashes) the key to this
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))  # RFC 2104 ipad, as a byte translation
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))  # RFC 2104 opad
# A CPR number written inside free text, e.g. "pt. 010203-1234"; the dash makes it unambiguous.
CPR_IN_TEXT = re.compile(r"(?<!\d)(\d{6})-(\d{4})(?!\d)")
# Ten digits, dash or not, inside a file name such as "udtraek_0102031234.csv".
CPR_IN_NAME = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


def _birth_year(yy: np.ndarray, century_digit: np.ndarray) -> np.ndarray:
    """Full birth year from the two-digit year and the serial's first digit (CPR rule)."""
    year = np.where(century_digit <= 3, 1900 + yy, 0)
    year = np.where(
        (century_digit == 4) | (century_digit == 9), np.where(yy <= 36, 2000, 1900) + yy, year
    )
    five_to_eight = (century_digit >= 5) & (century_digit <= 8)
    return np.where(five_to_eight, np.where(yy <= 57, 2000, 1800) + yy, year)


def _real_past_date(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, today: date
) -> np.ndarray:
    """Is (year, month, day) a date that exists and is not after ``today``?"""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 1, 12) - 1]
    days = days + ((month == 2) & leap)
    exists = (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)
    stamp = year * 10_000 + month * 100 + day
    return exists & (stamp <= today.year * 10_000 + today.month * 100 + today.day)


def _date_of_birth_ok(digits: np.ndarray, today: date) -> np.ndarray:
    """For rows of ten digits (0-9) ``DDMMYYSSSS``: does the date of birth exist, in the past?"""
    dd = digits[:, 0] * 10 + digits[:, 1]
    mm = digits[:, 2] * 10 + digits[:, 3]
    yy = digits[:, 4] * 10 + digits[:, 5]
    return _real_past_date(_birth_year(yy, digits[:, 6]), mm, dd, today)


def _ascii_digit_rows(text: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Code points of fixed-width strings as a matrix, and which rows are plain ASCII."""
    points = np.ascontiguousarray(text.astype(f"U{width}")).view(np.uint32)
    points = points.reshape(len(text), width).astype(np.int64)
    return points, (points < 128).all(axis=1)


def _valid_digits(digits: pd.Series, today: date) -> pd.Series:
    """For 10-digit strings ``DDMMYYSSSS``: does the date of birth exist and lie in the past?

    ASCII digits are checked as integer arrays (fast); other Unicode digits, which
    ``\\d`` also matches, by the slower calendar route.
    """
    ok = np.zeros(len(digits), bool)
    if digits.empty:
        return pd.Series(ok, index=digits.index)
    points, plain = _ascii_digit_rows(digits.to_numpy(dtype=str), 10)
    numbers = points[plain] - ord("0")
    ok[plain] = ((numbers >= 0) & (numbers <= 9)).all(axis=1)
    ok[np.flatnonzero(plain)[ok[plain]]] = _date_of_birth_ok(numbers[ok[plain]], today)
    if not plain.all():
        ok[~plain] = _valid_digits_by_calendar(digits[~plain], today).to_numpy()
    return pd.Series(ok, index=digits.index)


def _valid_digits_by_calendar(digits: pd.Series, today: date) -> pd.Series:
    dd = digits.str.slice(0, 2).astype(int).to_numpy()
    mm = digits.str.slice(2, 4).astype(int).to_numpy()
    yy = digits.str.slice(4, 6).astype(int).to_numpy()
    year = _birth_year(yy, digits.str.slice(6, 7).astype(int).to_numpy())
    return pd.Series(_real_past_date(year, mm, dd, today), index=digits.index)


def _digits_of(values: pd.Series, today: date) -> pd.Series:
    """The normalised ``DDMMYYSSSS`` of each valid CPR number in ``values``, None elsewhere.

    Text that is plain ASCII is checked as arrays of bytes, without a Python string
    operation per value (what a CPR column of a large extract holds); anything else by
    :func:`_digits_of_text`.
    """
    try:
        texts = pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # not all text
        return _digits_of_text(values, today)
    out = np.full(len(values), None, dtype=object)
    plain = pc.fill_null(pc.string_is_ascii(texts), False).to_numpy(zero_copy_only=False)
    # On ASCII text, trimming ASCII_BLANKS is what str.strip() does.
    trimmed = pc.ascii_trim(texts, characters=ASCII_BLANKS)
    length = pc.fill_null(pc.binary_length(trimmed), 0).to_numpy(zero_copy_only=False)
    shaped = np.flatnonzero(plain & ((length == 10) | (length == 11)))
    if len(shaped):
        chars = _byte_rows(trimmed.take(pa.array(shaped)), 11)
        dashed = length[shaped] == 11
        ten = np.where(dashed[:, None], np.delete(chars, 6, axis=1), chars[:, :10])
        numbers = ten.astype(np.int64) - ord("0")
        ok = ((numbers >= 0) & (numbers <= 9)).all(axis=1) & (~dashed | (chars[:, 6] == 45))
        ok[ok] = _date_of_birth_ok(numbers[ok], today)
        out[shaped[ok]] = np.ascontiguousarray(ten[ok]).view("S10").ravel().astype("U10")
    other = np.flatnonzero(~plain & texts.is_valid().to_numpy(zero_copy_only=False))
    if len(other):
        out[other] = _digits_of_text(values.iloc[other], today).to_numpy(dtype=object)
    return pd.Series(out, index=values.index, dtype=object)


def _byte_rows(texts: pa.Array, width: int) -> np.ndarray:
    """The first ``width`` bytes of each value of an Arrow ``string`` array as a matrix
    (bytes past a shorter value's end are arbitrary)."""
    buffers = texts.buffers()
    offsets = np.frombuffer(buffers[1], np.int32, len(texts) + 1, texts.offset * 4)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    padded = np.concatenate([data, np.zeros(width, np.uint8)])
    return np.lib.stride_tricks.sliding_window_view(padded, width)[offsets[:-1]]


def _digits_of_text(values: pd.Series, today: date) -> pd.Series:
    """:func:`_digits_of` for any values: plain ASCII ones of 10 or 11 characters are
    checked as integer arrays; others (Unicode digits) by the regular expression
    :data:`CPR_SHAPE`."""
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    text = values.astype("string").str.strip()
    length = text.str.len().fillna(0).to_numpy(dtype=np.int64)
    shaped = np.flatnonzero((length == 10) | (length == 11))
    if not len(shaped):
        return out
    points, plain = _ascii_digit_rows(text.iloc[shaped].to_numpy(dtype=str), 11)
    dashed = length[shaped] == 11
    ten = np.where(dashed[:, None], np.delete(points, 6, axis=1), points[:, :10])
    numbers = ten - ord("0")
    ok = plain & ((numbers >= 0) & (numbers <= 9)).all(axis=1) & (~dashed | (points[:, 6] == 45))
    ok[ok] = _date_of_birth_ok(numbers[ok], today)
    found = np.ascontiguousarray(ten[ok].astype(np.uint32)).view("U10").ravel()
    out.iloc[shaped[ok]] = found
    if not plain.all():
        other = text.iloc[shaped[~plain]]
        parts = other.str.extract(CPR_SHAPE)
        digits = (parts[0] + parts[1]).dropna().astype(str)
        valid = _valid_digits(digits, today)
        out.loc[valid.index[valid.to_numpy()]] = digits[valid]
    return out


def cpr_digits(values: pd.Series, today: date | None = None, distinct: bool = False) -> pd.Series:
    """The normalised ``DDMMYYSSSS`` of each valid CPR number, ``None`` elsewhere.

    Valid means the shape ``DDMMYY-SSSS`` or ``DDMMYYSSSS`` (surrounding blanks
    ignored) and a date of birth that exists and is not in the future.

    Args:
        values: strings (or ``None`` for missing values).
        today: the day that counts as today (tests fix it).
        distinct: ``values`` are distinct and present already (a column's distinct
            values): each is checked as it is, without looking for repeats first.

    Returns:
        A Series aligned with ``values``.
    """
    day = today or date.today()
    if distinct:
        return _digits_of(values, day)
    return by_unique(values, lambda uniques: _digits_of(uniques, day), None)


def is_pseudonym(values: pd.Series) -> pd.Series:
    """Which values are already pseudonyms (16 lowercase hex characters)."""
    shape = PSEUDONYM_SHAPE.pattern
    return by_unique(
        values, lambda u: u.astype(str).str.fullmatch(shape).astype(bool), False
    ).astype(bool)


def _cpr_inside(values: pd.Series, today: date) -> pd.Series:
    whole = _digits_of(values, today).notna()
    found = values.astype("string").str.extract(CPR_IN_TEXT)
    inside = (found[0] + found[1]).dropna().astype(str)
    hit = pd.Series(False, index=values.index)
    valid = _valid_digits(inside, today)
    hit.loc[valid.index[valid.to_numpy()]] = True
    return whole | hit


def looks_like_cpr(values: pd.Series, today: date | None = None) -> pd.Series:
    """Which values are, or contain, something that may be a CPR number.

    A value counts when it is a valid CPR number on its own (with or without the
    dash), or holds one written with the dash inside longer text. Used to keep
    CPR numbers out of the lake when they turn up in a column not declared as CPR.
    """
    day = today or date.today()
    return by_unique(values, lambda uniques: _cpr_inside(uniques, day), False).astype(bool)


def _keyed_sha256(key: bytes) -> Callable[[bytes], str]:
    """HMAC-SHA256 with ``key`` (RFC 2104, as :func:`hmac.new` computes it), hex.

    The key's inner and outer hash states are prepared once and copied per message,
    which halves the cost of a pseudonym against copying an :mod:`hmac` object.
    """
    if len(key) > SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_INNER_PAD)).copy
    outer = hashlib.sha256(key.translate(_OUTER_PAD)).copy

    def mac(message: bytes) -> str:
        first = inner()
        first.update(message)
        second = outer()
        second.update(first.digest())
        return second.hexdigest()

    return mac


def pseudonymise(digits: pd.Series, key: str) -> pd.Series:
    """Replace normalised CPR numbers by their keyed pseudonyms.

    Args:
        digits: ``DDMMYYSSSS`` strings, as :func:`cpr_digits` returns them; ``None`` stays ``None``.
        key: the tenant's pseudonym key (``tenant.derived_key("pseudonym")``).

    Returns:
        A Series of 16-character lowercase hex strings, aligned with ``digits``.
    """
    mac = _keyed_sha256(key.encode())
    values = digits.to_numpy(dtype=object)
    present = pd.notna(values)
    codes, unique = pd.factorize(values[present])
    names = np.array([mac(cpr.encode())[:PSEUDONYM_LENGTH] for cpr in unique], dtype=object)
    out = np.full(len(values), None, dtype=object)
    out[present] = names[codes]
    return pd.Series(out, index=digits.index, dtype=object)


def pseudonym(cpr: str, key: str) -> str:
    """The pseudonym of one CPR number (either shape).

    Raises:
        ValueError: ``cpr`` is not a valid CPR number (the message never shows it).
    """
    digits = cpr_digits(pd.Series([cpr], dtype=object)).iloc[0]
    if digits is None:
        raise ValueError("not a valid CPR number (expected DDMMYY-SSSS or DDMMYYSSSS)")
    return str(pseudonymise(pd.Series([digits], dtype=object), key).iloc[0])


def safe_name(name: str) -> str:
    """``name`` (a file name or path) with anything that may be a CPR number masked.

    File names are shown in messages and kept in the ingest log; exports are
    sometimes named after a person.
    """
    found = CPR_IN_NAME.findall(name)
    if not found:
        return name
    valid = cpr_digits(pd.Series(found, dtype=object)).notna()
    for text, is_cpr in zip(found, valid, strict=True):
        if is_cpr:
            name = name.replace(text, CPR_MASK)
    return name
