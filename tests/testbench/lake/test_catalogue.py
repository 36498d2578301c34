"""The catalogue shows tables, types, quarantine by reason and date ranges; small counts hidden.

CPR numbers here are made up by the `fake_cprs` fixture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from generators.relations import Relation
from testbench.lake import Lake
from testbench.lake.catalogue import catalogue, catalogue_lines, lake_status, shown_count
from testbench.lake.ingest.pipeline import ingest_file
from testkit.extract_files import write_csv

PSEUDONYM_KEY = "p" * 64


def test_counts_below_the_threshold_are_hidden() -> None:
    assert [shown_count(n, 5) for n in (0, 1, 4, 5, 1234)] == [0, "<5", "<5", 5, 1234]
    assert shown_count(7, 10) == "<10"


def test_catalogue_of_an_ingested_lake(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(14, seed=31)
    rows = [[c, "2", f"19{50 + i}-06-01", "751", "82"] for i, c in enumerate(cprs[:9])]
    rows += [[cprs[9], "3", "1960-01-01", "751", "82"], [cprs[10], "7", "1961-01-01", "751", "82"]]
    rows += [[cprs[11], "1", "1962-01-01", "101", "82"]]  # Copenhagen is not in Midtjylland
    lake = Lake(tmp_path / "lake.duckdb", "k" * 64)
    bef = write_csv(tmp_path / "bef.csv", ["pnr", "koen", "foed_dag", "kom", "reg"], rows)
    ingest_file(lake, PSEUDONYM_KEY, bef, "bef", "bef", today=today)
    dod = write_csv(tmp_path / "dod.csv", ["pnr", "doddato"], [[c, "2020-02-02"] for c in cprs[:3]])
    ingest_file(lake, PSEUDONYM_KEY, dod, "dod", "dod", today=today)

    status = lake_status(lake)
    assert [(t.name, t.rows, t.quarantined) for t in status.tables] == [
        ("bef", 9, 3),
        ("dod", 3, 0),
    ]
    assert status.relations == [Relation("dod", "pnr", "bef", "pnr")]

    cat = catalogue(lake, 5)
    bef_entry, dod_entry = cat["tables"]
    assert bef_entry["rows"] == 9 and bef_entry["primary_key"] == "pnr"
    assert bef_entry["column_types"] == {
        "pnr": "VARCHAR",
        "koen": "BIGINT",
        "foed_dag": "TIMESTAMP_NS",
        "kom": "VARCHAR",
        "reg": "VARCHAR",
    }
    assert bef_entry["date_ranges"] == {"foed_dag": {"min": "1950-06-01", "max": "1958-06-01"}}
    assert bef_entry["quarantined"] == "<5"
    assert bef_entry["quarantine_reasons"] == {
        "koen: not a valid sex code, 1 male or 2 female (like 2)": "<5",
        "kom: municipality not in the region given in reg": "<5",
    }
    assert dod_entry["rows"] == "<5" and dod_entry["quarantined"] == 0
    assert dod_entry["date_ranges"] == {"doddato": "<5"}  # three deaths' dates are three people's
    assert cat["relations"] == [vars(Relation("dod", "pnr", "bef", "pnr"))]
    json.dumps(cat)  # JSON-ready as it is

    text = "\n".join(catalogue_lines(cat))
    assert "bef: 9 rows, 5 columns, key pnr, <5 quarantined" in text
    assert "foed_dag: TIMESTAMP_NS, 1950-06-01 to 1958-06-01" in text
    assert "quarantined <5: kom: municipality not in the region given in reg" in text
    assert "dod: <5 rows" in text and "dod.pnr -> bef.pnr" in text
    assert not any(c in text or c.replace("-", "") in text for c in cprs)

    relaxed = catalogue(lake, 2)  # the threshold is a setting (TESTBENCH_MIN_CELL_COUNT)
    assert relaxed["tables"][0]["quarantined"] == 3 and relaxed["tables"][1]["rows"] == 3
