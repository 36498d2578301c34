"""Checking and writing in batches gives what checking a file whole gives.

Every CPR number here is made up by the `fake_cprs` fixture; assertions compare
positions and counts, never print a number.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testbench.lake import Lake
from testbench.lake.ingest import csv_stream as csv_stream_module
from testbench.lake.ingest import pipeline as pipeline_module
from testbench.lake.ingest.batch_checking import CheckedTotals, prefetched
from testbench.lake.ingest.coded_columns import CodedColumn, CodedTable, ColumnCoder
from testbench.lake.ingest.contracts import get_contract
from testbench.lake.ingest.pipeline import ingest_file
from testbench.lake.ingest.planning import plan_table
from testbench.lake.ingest.pseudonyms import _keyed_sha256
from testbench.lake.ingest.quarantine import INGEST_ID, INGESTED_AT, QUARANTINE_PREFIX
from testbench.lake.ingest.row_checks import TableChecker, check_coded
from testkit.extract_files import write_csv

KEY = "p" * 64
LAKE_KEY = "k" * 64

CELL = st.one_of(  # no NUL: files holding one are refused before reading (and pandas
    st.none(),  # hashes text up to a NUL, so "" and "\x00" would code alike)
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5),
    st.sampled_from(["", " ", "NA", " na ", ".", "null", "\u00a0NA\u2003", "\x1cnan", "DI50"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(CELL, max_size=30), size=st.integers(1, 7))
def test_coding_in_batches_gives_the_codes_of_coding_whole(
    values: list[str | None], size: int
) -> None:
    whole = CodedColumn.from_values(pd.Series(values, dtype=object))
    coder, codes = ColumnCoder(), []
    for start in range(0, len(values), size):
        part = coder.code(pa.array(values[start : start + size], pa.string()))
        codes += part.codes.tolist()
        assert part.uniques.tolist() == whole.uniques.tolist()[: len(part.uniques)]
    assert codes == whole.codes.tolist()
    assert coder.uniques.tolist() == whole.uniques.tolist()


def _people(fake_cprs: Callable[..., list[str]]) -> list[str]:
    """Four people, each written with and without the dash, and a non-person."""
    dashed = fake_cprs(4, seed=5)
    return dashed + [c.replace("-", "") for c in dashed] + ["310299-1234", ""]


BEF_ROW = st.tuples(
    st.integers(0, 9),  # the person (index into _people)
    st.sampled_from(["1", "2", "3", ""]),  # koen
    st.sampled_from(["1950-06-01", "31-02-1950", "2090-01-01", ""]),  # foed_dag
    st.sampled_from([("751", "82"), ("101", "82"), ("101", "84"), ("", "")]),  # kom, reg
)


def _batches(table: CodedTable, size: int) -> Iterator[CodedTable]:
    for start in range(0, table.rows, size):
        yield table.slice(start, start + size)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(BEF_ROW, min_size=1, max_size=25), size=st.integers(1, 6))
@pytest.mark.heavy  # 60 hypothesis examples, each checked whole and in batches
def test_checking_in_batches_refuses_what_checking_whole_refuses(
    rows: list[tuple[int, str, str, tuple[str, str]]],
    size: int,
    fake_cprs: Callable[..., list[str]],
    today: date,
) -> None:
    people = _people(fake_cprs)
    frame = pd.DataFrame(
        [[people[p], koen, born, kom, reg] for p, koen, born, (kom, reg) in rows],
        columns=["pnr", "koen", "foed_dag", "kom", "reg"],
        dtype=object,
    )
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    plan, frame, _ = plan_table(frame, get_contract("bef"), None, [], "bef.csv", today)
    table = CodedTable.from_frame(frame)
    whole = check_coded(table, plan, KEY, {}, today)

    checker, totals = TableChecker(plan, KEY, {}, today), CheckedTotals()
    lake_parts, quarantine_parts = [], []
    for batch in _batches(table, size):
        checked = checker.check(batch)
        totals.add(checked)
        lake_parts.append(checked.lake_frame())
        quarantine_parts.append(checked.quarantine_frame())

    lake = pd.concat(lake_parts, ignore_index=True)
    pd.testing.assert_frame_equal(lake, whole.lake_frame(), check_dtype=False)
    quarantine = pd.concat(quarantine_parts, ignore_index=True)
    pd.testing.assert_frame_equal(quarantine, whole.quarantine_frame(), check_dtype=False)
    assert list(totals.reasons().items()) == list(whole.reasons().items())
    assert totals.failed == int(whole.failed.sum())


def test_foreign_keys_are_checked_in_every_batch(
    fake_cprs: Callable[..., list[str]], today: date
) -> None:
    known, unknown = fake_cprs(2, seed=8)[:1], fake_cprs(2, seed=8)[1:]
    frame = pd.DataFrame(
        {
            "patient_cpr": [known[0], unknown[0], known[0], unknown[0].replace("-", "")],
            "samplingdate": ["2020-01-01"] * 4,
            "analysiscode": ["NPU27300"] * 4,
        },
        dtype=object,
    )
    frame.index = pd.RangeIndex(1, 5)
    plan, frame, _ = plan_table(frame, get_contract("lab"), None, [], "lab.csv", today)
    parents = {"patient_cpr": check_coded(CodedTable.from_frame(frame), plan, KEY).lake_frame()}
    parent = parents["patient_cpr"]["patient_cpr"].iloc[[0]].astype(object)
    table = CodedTable.from_frame(frame)
    checker = TableChecker(plan, KEY, {"patient_cpr": parent}, today)
    failed = [checker.check(batch).failed.tolist() for batch in _batches(table, 1)]
    assert failed == [[False], [True], [False], [True]]


def _ingest_twice(
    folder: Path, files: list[tuple[Path, str]], today: date
) -> tuple[Lake, list[object]]:
    lake = Lake(folder / "lake.duckdb", LAKE_KEY)
    reports = [
        ingest_file(lake, KEY, path, name, contract=name, today=today) for path, name in files
    ]
    return lake, reports


def test_ingesting_in_small_batches_writes_what_one_batch_writes(
    tmp_path: Path,
    fake_cprs: Callable[..., list[str]],
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = fake_cprs(6, seed=3)
    bef = write_csv(
        tmp_path / "bef.csv",
        ["pnr", "koen", "foed_dag", "kom", "reg"],
        [[p, "2", "1950-06-01", "751", "82"] for p in people[:5]] + [[people[0], "1", "", "", ""]],
    )
    rows = [
        [people[i % 6], "2020-01-0" + str(1 + i % 9), "NPU27300" if i % 7 else "NPU1", f"{i},5"]
        for i in range(40)
    ]
    lab = write_csv(
        tmp_path / "lab.csv", ["patient_cpr", "samplingdate", "analysiscode", "value"], rows
    )
    files = [(bef, "bef"), (lab, "lab")]
    one_lake, one = _ingest_twice(tmp_path / "one", files, today)
    monkeypatch.setattr(pipeline_module, "BATCH_ROWS", 3)
    many_lake, many = _ingest_twice(tmp_path / "many", files, today)

    for a, b in zip(one, many, strict=True):
        assert (a.ingested, a.quarantined, a.reasons) == (b.ingested, b.quarantined, b.reasons)
        assert list(a.reasons) == list(b.reasons)
        assert a.table_hash == b.table_hash
    assert one[1].quarantined > 0 and one[0].quarantined == 1
    for name in ("bef", "lab"):  # same rows, same order
        pd.testing.assert_frame_equal(one_lake.read_table(name), many_lake.read_table(name))
        quarantine = [
            lake.read_internal(QUARANTINE_PREFIX + name).drop(columns=[INGEST_ID, INGESTED_AT])
            for lake in (one_lake, many_lake)
        ]
        pd.testing.assert_frame_equal(*quarantine)


def test_a_failure_half_way_leaves_the_lake_as_it_was(
    tmp_path: Path,
    fake_cprs: Callable[..., list[str]],
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = fake_cprs(8, seed=4)
    header = ["pnr", "koen", "foed_dag", "kom", "reg"]
    first = write_csv(
        tmp_path / "a.csv", header, [[p, "2", "1950-06-01", "751", "82"] for p in people[:4]]
    )
    second = write_csv(tmp_path / "b.csv", header, [[p, "1", "1960-06-01", "", ""] for p in people])
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    ingest_file(lake, KEY, first, "bef", contract="bef", today=today)
    before = lake.table_hashes(), lake.read_internal("ingests")

    calls = {"n": 0}
    check = TableChecker.check

    def failing(self: TableChecker, table: CodedTable) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return check(self, table)

    monkeypatch.setattr(pipeline_module, "BATCH_ROWS", 2)
    monkeypatch.setattr(TableChecker, "check", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(lake, KEY, second, "bef", contract="bef", today=today)
    assert calls["n"] == 3
    after = lake.table_hashes(), lake.read_internal("ingests")
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])


def test_prefetched_hands_over_items_in_order_and_errors_where_taken() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("item 5 is broken")

    taken = []
    with pytest.raises(ValueError, match="item 5 is broken"), prefetched(items()) as ready:
        taken.extend(ready)
    assert taken == [0, 1, 2, 3, 4]


def test_leaving_prefetched_early_stops_its_worker() -> None:
    made = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    before = threading.active_count()
    with prefetched(endless(), depth=2) as ready:
        assert next(ready) == 0
    assert threading.active_count() == before
    assert len(made) <= 4  # the one taken, two waiting, one being made


@pytest.mark.parametrize("key", ["p" * 64, "short", "x" * 65, "æøå" * 40])
def test_the_pseudonym_mac_is_hmac_sha256_for_any_key_length(key: str) -> None:
    for message in (b"0102031234", b""):
        expected = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
        assert _keyed_sha256(key.encode())(message) == expected


def _lab_rows(people: list[str], count: int) -> list[list[str]]:
    """Lab rows for ``people``, a few of them refused (a bad code, a bad date)."""
    return [
        [
            people[i % len(people)] if i % 5 else people[i % len(people)].replace("-", ""),
            "31-02-2020" if i % 17 == 3 else f"2020-01-0{1 + i % 9}",
            "NPU1" if i % 11 == 4 else "NPU27300",
            f"{i % 13},5",
            "mmol/L" if i % 3 else "",
        ]
        for i in range(count)
    ]


LAB_HEADER = ["patient_cpr", "samplingdate", "analysiscode", "value", "unit"]


@pytest.mark.parametrize("batch_rows", [2, 7, 1000])
def test_the_reported_table_hash_is_the_hash_of_the_table_written(
    tmp_path: Path,
    fake_cprs: Callable[..., list[str]],
    today: date,
    monkeypatch: pytest.MonkeyPatch,
    batch_rows: int,
) -> None:
    """The hash taken from the batches on their way in is the one read back from disk."""
    people = fake_cprs(9, seed=12)
    bef = write_csv(
        tmp_path / "bef.csv",
        ["pnr", "koen", "foed_dag", "kom", "reg"],
        [[p, "2", "1950-06-01", "751", "82"] for p in people[:8]],
    )
    lab = write_csv(tmp_path / "lab.csv", LAB_HEADER, _lab_rows(people, 60))
    # A file without a contract: types inferred, read whole (not streamed).
    other = write_csv(
        tmp_path / "own.csv",
        ["id", "n", "x", "when", "at", "flag", "text"],
        [
            [str(i), str(i % 4) if i % 6 else "", f"{i}.25", f"2021-03-{1 + i % 28:02d}",
             f"2021-03-01 0{i % 10}:15", "true" if i % 2 else "false", "a" * (i % 4)]
            for i in range(40)
        ],
    )  # fmt: skip
    monkeypatch.setattr(pipeline_module, "BATCH_ROWS", batch_rows)
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    reports = [
        ingest_file(lake, KEY, bef, "bef", contract="bef", today=today),
        ingest_file(lake, KEY, lab, "lab", contract="lab", today=today),
        ingest_file(lake, KEY, other, "own", primary_key="id", today=today),
    ]
    hashes = lake.table_hashes()
    assert reports[1].quarantined > 0
    for report in reports:
        assert report.table_hash == hashes[report.table]


@pytest.mark.parametrize("block", [None, 64])
def test_a_latin1_file_is_read_as_latin1_whatever_was_guessed(
    tmp_path: Path,
    fake_cprs: Callable[..., list[str]],
    today: date,
    monkeypatch: pytest.MonkeyPatch,
    block: int | None,
) -> None:
    """Reading starts on the guess that a file is UTF-8; a Latin-1 file is read again."""
    if block is not None:  # small blocks: the first Latin-1 byte comes blocks in
        monkeypatch.setattr(csv_stream_module, "STREAM_BLOCK", block)
        monkeypatch.setattr(pipeline_module, "BATCH_ROWS", 2)
    people = fake_cprs(3, seed=13)
    rows = [[p, "2021-03-04", "NPU27300", "4,2", "mmol/L"] for p in people * 4]
    rows += [[p, "2021-03-04", "NPU27300", "4,2", "µmol/L"] for p in people]
    latin, utf8 = tmp_path / "latin.csv", tmp_path / "utf8.csv"
    for path, encoding in ((latin, "latin-1"), (utf8, "utf-8")):
        path.write_bytes(
            "\n".join(";".join(row) for row in [LAB_HEADER, *rows]).encode(encoding) + b"\n"
        )
    lakes = [Lake(tmp_path / name / "lake.duckdb", LAKE_KEY) for name in ("a", "b")]
    for lake, path in zip(lakes, (latin, utf8), strict=True):
        report = ingest_file(lake, KEY, path, "lab", contract="lab", today=today)
        assert (report.ingested, report.quarantined) == (15, 0)
    frames = [lake.read_table("lab") for lake in lakes]
    pd.testing.assert_frame_equal(*frames)
    assert frames[0]["unit"].tolist() == ["mmol/L"] * 12 + ["µmol/L"] * 3


def test_a_row_the_fast_reader_refuses_half_way_is_read_by_the_careful_reader(
    tmp_path: Path,
    fake_cprs: Callable[..., list[str]],
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = fake_cprs(5, seed=14)
    rows = _lab_rows(people, 50)
    good = write_csv(tmp_path / "good.csv", LAB_HEADER, rows)
    ragged = write_csv(tmp_path / "ragged.csv", LAB_HEADER, [*rows, [people[0], "2020-01-01"]])
    monkeypatch.setattr(pipeline_module, "BATCH_ROWS", 4)  # the odd row comes batches in
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    first = ingest_file(lake, KEY, good, "lab", contract="lab", today=today)
    table = lake.read_table("lab")
    second = ingest_file(lake, KEY, ragged, "lab", contract="lab", today=today)

    assert second.rows_in_file == first.rows_in_file + 1
    assert second.quarantined == first.quarantined + 1
    assert any(reason.startswith("row: wrong number of fields") for reason in second.reasons)
    pd.testing.assert_frame_equal(lake.read_table("lab"), table)
    assert second.table_hash == lake.table_hashes()["lab"] == first.table_hash


@pytest.mark.parametrize("lake_exists", [True, False])
def test_a_row_the_fast_reader_refuses_after_batches_were_written_leaves_none_of_them(
    tmp_path: Path,
    fake_cprs: Callable[..., list[str]],
    today: date,
    monkeypatch: pytest.MonkeyPatch,
    lake_exists: bool,
) -> None:
    people = fake_cprs(5, seed=15)
    rows = _lab_rows(people, 3000)
    good = write_csv(tmp_path / "good.csv", LAB_HEADER, rows)
    odd = [*rows[:2000], [people[0], "2020-01-01"], *rows[2000:]]
    ragged = write_csv(tmp_path / "ragged.csv", LAB_HEADER, odd)
    monkeypatch.setattr(csv_stream_module, "STREAM_BLOCK", 1 << 12)  # small blocks: the odd
    monkeypatch.setattr(pipeline_module, "BATCH_ROWS", 100)  # row comes batches in
    careful = Lake(tmp_path / "careful" / "lake.duckdb", LAKE_KEY)
    expected = ingest_file(careful, KEY, good, "lab", contract="lab", today=today)
    lake = Lake(tmp_path / "lake" / "lake.duckdb", LAKE_KEY)
    if lake_exists:
        ingest_file(lake, KEY, good, "other", contract="lab", today=today)
    said: list[str] = []
    report = ingest_file(
        lake, KEY, ragged, "lab", contract="lab", today=today, progress=said.append
    )

    assert said[1] == "checking the rows of ragged.csv and writing them to lab"  # streamed
    assert said[2] == "checking 3,001 rows and writing them to lab"  # then read again, whole
    assert report.rows_in_file == 3001 and report.quarantined == expected.quarantined + 1
    assert report.ingested == expected.ingested
    assert report.table_hash == lake.table_hashes()["lab"] == expected.table_hash
    assert len(lake.read_internal("ingests")) == 1 + lake_exists  # one ingestion recorded
