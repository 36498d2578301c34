"""A malformed file is refused with one line, and a failed ingestion leaves the lake as it was.

CPR numbers here are made up by the `fake_cprs` fixture; assertions compare positions.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from testbench.audit import AuditLog
from testbench.lake import Lake
from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.pipeline import ingest_file
from testbench.lake.writer import LakeWriter
from testkit.extract_files import write_csv

LAKE_KEY = "k" * 64
PSEUDONYM_KEY = "p" * 64


def everything(lake: Lake) -> dict[str, Any]:
    """All that an ingestion could change: every table's (catalogue too) hash and rows."""
    with lake.connect(read_only=True) as con:
        names = [row[0] for row in con.execute("SHOW TABLES").fetchall()]
        writer = LakeWriter(con)
        return {name: (writer.table_hash(name), len(con.table(name))) for name in names}


@pytest.fixture
def filled(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> tuple[Lake, list[str]]:
    """A lake with a checked bef and lab (with a quarantined row) and an audit log."""
    cprs = fake_cprs(6, seed=21)
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY, AuditLog(tmp_path / "audit.jsonl"))
    rows = [[c, "2", "1950-06-01", "751", "82"] for c in cprs]
    ingest_file(lake, PSEUDONYM_KEY, write_csv(tmp_path / "bef.csv", ["pnr", "koen", "foed_dag",
                "kom", "reg"], rows), "bef", "bef", today=today)  # fmt: skip
    lab = [[c, "2021-03-04", "NPU27300", "48"] for c in cprs] + [[cprs[0], "x", "NPU1", "1"]]
    lab_file = write_csv(tmp_path / "lab.csv", ["patient_cpr", "samplingdate", "analysiscode",
                         "value"], lab)  # fmt: skip
    assert ingest_file(lake, PSEUDONYM_KEY, lab_file, "lab", "lab", today=today).quarantined == 1
    return lake, cprs


def malformed_files(folder: Path, cprs: list[str]) -> dict[str, tuple[Path, str]]:
    """Each kind of malformed extract, with the words its error must contain."""
    header = "patient_cpr;samplingdate;analysiscode;value\n"
    good_row = f"{cprs[0]};2021-03-04;NPU27300;48\n"
    files: dict[str, tuple[Path, str]] = {}

    def add(name: str, data: bytes, words: str) -> None:
        path = folder / name
        path.write_bytes(data)
        files[name] = (path, words)

    add("utf16.csv", (header + good_row).encode("utf-16"), "UTF-16 or binary")
    add("gzipped.csv", gzip.compress((header + good_row * 50).encode()), "UTF-16 or binary")
    wrong = header + good_row.replace(";", ",") * 3  # header split by ; and rows by ,
    add("delimiter.csv", wrong.encode(), "check the delimiter")
    add("empty.csv", b"", "is empty")
    add("blank.csv", b"\n\n  \n", "is empty")
    add("header_only.csv", header.encode(), "has a header but no rows")
    add("truncated.parquet", b"PAR1" + b"\x00" * 40, "as Parquet")
    add("udtraek.xlsx", b"PK\x03\x04", "export the extract as .csv")
    add("headless.csv", good_row.encode() * 2, "add a header row")
    return files


def test_each_malformed_file_gives_one_line_and_leaves_the_lake_as_it_was(
    filled: tuple[Lake, list[str]], tmp_path: Path, today: date
) -> None:
    lake, cprs = filled
    assert lake.audit is not None
    before, audit_before = everything(lake), lake.audit.path.read_bytes()
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, (path, words) in malformed_files(folder, cprs).items():
        with pytest.raises(UnreadableFile) as err:
            ingest_file(lake, PSEUDONYM_KEY, path, "lab", "lab", today=today)
        message = str(err.value)
        assert words in message, name
        assert "\n" not in message and "Traceback" not in message, name
        assert not any(form in message for c in cprs for form in (c, c.replace("-", ""))), name
    assert everything(lake) == before
    assert lake.audit.path.read_bytes() == audit_before


def test_a_failure_while_writing_rolls_the_whole_ingestion_back(
    filled: tuple[Lake, list[str]],
    tmp_path: Path,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lake, cprs = filled
    before = everything(lake)
    rows = [[cprs[1], "2022-01-01", "NPU27300"], [cprs[2], "bad", "NPU27300"]]
    changed = write_csv(
        tmp_path / "lab2.csv", ["patient_cpr", "samplingdate", "analysiscode"], rows
    )

    def fail(self: LakeWriter, name: str, frame: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LakeWriter, "append_internal", fail)  # after table and relations
    with pytest.raises(OSError, match="disk full"):
        ingest_file(lake, PSEUDONYM_KEY, changed, "lab", "lab", today=today)
    assert everything(lake) == before

    fresh = Lake(tmp_path / "fresh.duckdb", LAKE_KEY)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(fresh, PSEUDONYM_KEY, changed, "lab", "lab", today=today)
    assert not fresh.path.exists()  # a lake created for the failed write is gone again


def test_reingesting_logs_no_change_and_writes_nothing(
    filled: tuple[Lake, list[str]], tmp_path: Path, today: date
) -> None:
    lake, _ = filled
    assert lake.audit is not None
    before = everything(lake)
    again = ingest_file(lake, PSEUDONYM_KEY, tmp_path / "lab.csv", "lab", "lab", today=today)
    assert again.unchanged and again.quarantined == 1
    assert everything(lake) == before
    last = lake.audit.entries()[-1]
    assert last["action"] == "lake.ingest.unchanged"
    assert last["details"]["file_sha256"] == again.file_sha256

    # A change in a parent table the file is checked against makes it count again.
    lake._write_table("bef", lake.read_table("bef").head(2), "pnr")
    rechecked = ingest_file(lake, PSEUDONYM_KEY, tmp_path / "lab.csv", "lab", "lab", today=today)
    assert not rechecked.unchanged
    assert rechecked.reasons["patient_cpr: no matching bef.pnr"] == 4
    quarantine = lake.read_internal("quarantine_lab")
    assert quarantine is not None
    assert len(quarantine) == rechecked.quarantined  # the same file's earlier rows replaced
