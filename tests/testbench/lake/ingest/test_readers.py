"""The fast reader and the careful reader give the same rows; fingerprints tell files apart.

No CPR numbers here: the values are codes, dates and odd text.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testbench.lake.ingest.careful_reader import read_extract
from testbench.lake.ingest.coded_columns import CodedColumn, CodedTable
from testbench.lake.ingest.contracts import get_contract
from testbench.lake.ingest.csv_stream import open_csv_stream
from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.fingerprints import fingerprint
from testbench.lake.ingest.readers import (
    Reader,
    _fast_csv,
    batch_sizes,
    choose_reader,
    load_extract,
)


def careful(path: Path) -> CodedTable:
    extract = read_extract(path)
    return CodedTable.from_frame(extract.frame, extract.field_counts)


def rows_of(table: CodedTable) -> dict[str, list[str | None]]:
    return {name: column.values().tolist() for name, column in table.columns.items()}


def assert_same(fast: CodedTable, slow: CodedTable) -> None:
    assert rows_of(fast) == rows_of(slow)
    assert fast.source_rows.tolist() == slow.source_rows.tolist()
    assert fast.ragged.tolist() == slow.ragged.tolist()


CELL = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=6),
    st.sampled_from(["", " ", "NA", ".", "null", '"', 'a"b', "x;y", "x,y", "a\nb", "æøå", "3,5"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=12),
    sep=st.sampled_from([";", ",", "\t", "|"]),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_the_fast_reader_reads_what_the_careful_reader_reads(
    rows: list[list[str]], sep: str, ending: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=sep, lineterminator=ending)
            writer.writerow(["kode", "dato", "fri tekst"])
            writer.writerows(rows)
        fast = _fast_csv(path, fingerprint(path).encoding)
        slow = careful(path)
    if fast is not None:  # the fast reader may leave a file to the careful one, never misread it
        assert_same(fast.table, slow)
        assert fast.delimiter == sep


@pytest.mark.parametrize(
    ("name", "data", "fast"),
    [
        ("plain", b"a;b\n1;2\n3;4\n", True),
        ("bom and crlf", b"\xef\xbb\xbfa;b\r\n1;2\r\n\r\n3;4\r\n", True),
        ("latin-1", "a;beløb\n1;æøå\n".encode("latin-1"), True),
        ("quoted", b'a,b\n"x,y","say ""hi"""\n"multi\nline",2\n', True),
        ("blank lines first", b"\n\na;b\n1;2\n", False),
        ("header over two lines", b'"a\nb";c\n1;2\n', False),
        ("ragged rows", b"a;b;c\n1;2;3\n1;2\n1;2;3;4\n   \n", False),
        ("stray carriage return", b"a;b\n1;x\ry\n", False),
    ],
)
def test_both_readers_agree_on_odd_files(
    tmp_path: Path, name: str, data: bytes, fast: bool
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    quick = _fast_csv(path, fingerprint(path).encoding)
    assert (quick is not None) is fast, name
    assert_same(load_extract(path).table, careful(path))


def test_parquet_is_coded_like_the_careful_reader_reads_it(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None, 1], dtype="Int64"),
            "d": pd.to_datetime(["2020-01-02", None, "2020-01-02"]),
            "code": ["084437", "NA", None],
        }
    )
    frame.to_parquet(tmp_path / "t.parquet")
    loaded = load_extract(tmp_path / "t.parquet")
    assert loaded.file_format == "parquet"
    assert_same(loaded.table, careful(tmp_path / "t.parquet"))
    assert loaded.table.columns["code"].values().tolist() == ["084437", None, None]


def test_codes_point_at_distinct_values_and_missing_markers_are_missing() -> None:
    column = CodedColumn.from_values(pd.Series(["DI50", " na ", "DI50", None, ".", "DE11"]))
    assert column.codes.tolist() == [0, -1, 0, -1, -1, 1]
    assert column.uniques.tolist() == ["DI50", "DE11"]
    assert column.counts().tolist() == [2, 1]


def test_fingerprint_names_the_content_and_refuses_utf16(tmp_path: Path) -> None:
    one, same, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    one.write_text("a;b\n1;2\n")
    same.write_text("a;b\n1;2\n")
    other.write_text("a;b\n1;3\n")
    assert fingerprint(one).sha256 == fingerprint(same).sha256 != fingerprint(other).sha256
    assert fingerprint(one).encoding == "utf-8-sig"
    (tmp_path / "l.csv").write_bytes("a\næ\n".encode("latin-1"))
    assert fingerprint(tmp_path / "l.csv").encoding == "latin-1"
    (tmp_path / "w.csv").write_text("a;b\n1;2\n", encoding="utf-16")
    with pytest.raises(UnreadableFile, match="UTF-16 or binary"):
        fingerprint(tmp_path / "w.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=40),
    batch=st.integers(1, 9),
)
def test_reading_block_by_block_gives_what_reading_whole_gives(
    rows: list[list[str]], batch: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["kode", "dato", "fri tekst"])
            writer.writerows(rows)
        fp = fingerprint(path)
        whole = _fast_csv(path, fp.encoding)
        stream = open_csv_stream(path, fp.encoding)
        if whole is None or stream is None:  # left to the careful reader
            return
        texts = list(stream.texts(batch))
        parts = list(stream.coded(texts))
        whole_batches = list(whole.batches(batch))
    assert [t.num_rows for t in texts] == [b.rows for b in whole_batches]
    sizes = batch_sizes(batch)
    assert all(t.num_rows == next(sizes) for t in texts[:-1])
    for part, expected in zip(parts, whole_batches, strict=True):
        assert rows_of(part) == rows_of(expected)
        assert part.source_rows.tolist() == expected.source_rows.tolist()
        for name, column in part.columns.items():
            assert column.codes.tolist() == expected.columns[name].codes.tolist()
    assert stream.names == whole.names and stream.delimiter == whole.delimiter


def test_batches_start_small_and_grow_to_the_batch_size() -> None:
    sizes = batch_sizes(800)
    assert [next(sizes) for _ in range(6)] == [100, 200, 400, 800, 800, 800]
    tiny = batch_sizes(2)
    assert [next(tiny) for _ in range(4)] == [1, 1, 1, 2]


def test_the_reader_is_chosen_by_suffix_and_first_line(tmp_path: Path) -> None:
    lab = get_contract("lab")
    named = ";".join(rule.name.upper() for rule in lab.columns)  # case does not matter
    (tmp_path / "lab.csv").write_text(f"{named}\n")
    (tmp_path / "more.csv").write_text(f"{named};note\n")
    (tmp_path / "blank.csv").write_text(f"\n{named}\n")
    (tmp_path / "quoted.csv").write_text('"a\nb";c\n')
    (tmp_path / "f.parquet").write_bytes(b"")
    assert choose_reader(tmp_path / "lab.csv", "utf-8-sig", lab) is Reader.CSV_STREAM
    assert choose_reader(tmp_path / "lab.csv", "utf-8-sig", None) is Reader.CSV_WHOLE
    assert choose_reader(tmp_path / "more.csv", "utf-8-sig", lab) is Reader.CSV_WHOLE
    assert choose_reader(tmp_path / "blank.csv", "utf-8-sig", lab) is Reader.CSV_CAREFUL
    assert choose_reader(tmp_path / "quoted.csv", "utf-8-sig", None) is Reader.CSV_CAREFUL
    assert choose_reader(tmp_path / "f.parquet", "", lab) is Reader.PARQUET
    with pytest.raises(UnreadableFile, match=r"unknown file type \.xlsx"):
        choose_reader(tmp_path / "f.xlsx", "", None)
