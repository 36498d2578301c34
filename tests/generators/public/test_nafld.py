"""The NAFLD loader: it opens only the pinned wheel, and turns day offsets into dates.

The wheel itself is not fetched here (tests make their own data); benchmarks/twin.py runs the
loader on the real data.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from generators.public import nafld


def test_a_wheel_that_is_not_the_pinned_one_is_refused_before_anything_is_unpickled(
    tmp_path: Path,
) -> None:
    fake = tmp_path / nafld.WHEEL
    with zipfile.ZipFile(fake, "w") as archive:
        for member in nafld._MEMBERS.values():
            archive.writestr(member, b"not a pickle")
    with pytest.raises(nafld.PublicDataError, match="SHA-256 differs"):
        nafld.load(fake)


def test_day_offsets_become_dates_from_the_origin_in_place_of_the_days() -> None:
    raw = pd.DataFrame({"rownames": [1, 2], "id": [7, 7], "days": [-1, 30], "event": ["a", "b"]})
    dated = nafld._dated(raw)
    assert list(dated.columns) == ["id", "date", "event"]
    assert list(dated["date"]) == [pd.Timestamp("1999-12-31"), pd.Timestamp("2000-01-31")]


def test_tables_are_written_as_csv_with_iso_dates(tmp_path: Path) -> None:
    tables = {"events": pd.DataFrame({"id": [1], "date": [nafld.ORIGIN], "event": ["htn"]})}
    [path] = nafld.write_csv(tables, tmp_path / "out")
    assert path.read_text().splitlines() == ["id,date,event", "1,2000-01-01,htn"]
