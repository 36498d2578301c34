"""Reading an extract's rows as text (step 2 of ingestion), with the reader chosen for it.

:func:`choose_reader` picks one by the file's suffix and a look at its first line
(:class:`Reader`); the readers give the same rows (tests hold them to it):

- Parquet: pyarrow reads the file whole, every column cast to text;
- the fast reader, pyarrow's CSV parser, for the usual CSV file: a header on the
  first line and every row as wide as the header. It reads the file block by block
  while the rows are checked and written (:mod:`~testbench.lake.ingest.csv_stream`),
  when nothing needs its columns whole (a contract names every column). Else it reads
  the file whole, on every core (:func:`load_extract`);
- the careful reader, Python's ``csv`` module
  (:func:`~testbench.lake.ingest.careful_reader.read_extract`), for anything the fast
  one does not take (rows of the wrong width, which are kept and flagged; a header
  spread over lines; blank lines before it). Whether the fast reader takes every row
  shows only as it reads them: where it meets one it does not take, it stops and says
  so (:attr:`~testbench.lake.ingest.csv_stream.CsvStream.refused`, or
  :func:`load_extract` goes on with the careful reader).

Rows are coded (see :mod:`~testbench.lake.ingest.coded_columns`) when asked for: a column
whole for planning, or every column batch by batch for checking and writing
(:meth:`LoadedExtract.batches`).

Errors never quote the file's contents: a parser's message may hold a row.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from testbench.lake.ingest.careful_reader import (
    check_header,
    parquet_text_columns,
    read_extract,
    sniff_delimiter,
)
from testbench.lake.ingest.coded_columns import CodedColumn, CodedTable, ColumnCoder, ColumnSample
from testbench.lake.ingest.contracts import Contract
from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.fingerprints import Fingerprint, file_kind, fingerprint

BLOCK = 1 << 24  # bytes per block of the fast CSV reader


class Reader(Enum):
    """Which reader reads a file (see :func:`choose_reader`)."""

    PARQUET = "parquet"  # pyarrow, the file whole
    CSV_STREAM = "csv_stream"  # the fast CSV reader, block by block while rows are checked
    CSV_WHOLE = "csv_whole"  # the fast CSV reader, the file whole (types are inferred)
    CSV_CAREFUL = "csv_careful"  # Python's csv module, the file whole


def choose_reader(path: Path, encoding: str, contract: Contract | None) -> Reader:
    """The reader for an extract, by its suffix and its first line.

    Args:
        path: a ``.csv`` (or ``.txt``/``.tsv``) or ``.parquet`` file.
        encoding: its text encoding, as :func:`fingerprint` finds it (or
            :data:`~testbench.lake.ingest.fingerprints.GUESSED_ENCODING`, before it is known).
        contract: the source's contract, if any: where it names every column of the
            header, no column is needed whole and the rows can be streamed.

    Raises:
        UnreadableFile: an unknown file type, or a header that is no header (see
            :func:`~testbench.lake.ingest.careful_reader.check_header`).
        UnicodeDecodeError: the first line is not text of ``encoding``.
    """
    if file_kind(Path(path)) == "parquet":
        return Reader.PARQUET
    header = csv_header(Path(path), encoding)
    if header is None:  # a blank first line, or a header spread over lines
        return Reader.CSV_CAREFUL
    if contract is not None and all(_named(column, contract) for column in header[1]):
        return Reader.CSV_STREAM
    return Reader.CSV_WHOLE


def _named(column: str, contract: Contract) -> bool:
    """Does the contract name the column (as planning matches them: case and surrounding
    blanks ignored)?"""
    return any(column.strip().casefold() == rule.name.casefold() for rule in contract.columns)


class Rows(Protocol):
    """An extract's rows as a reader gives them to planning and checking."""

    @property
    def names(self) -> list[str]:
        """The file's column names, in order."""

    @property
    def file_format(self) -> str:
        """``"csv"`` or ``"parquet"``."""

    @property
    def rows(self) -> int | None:
        """Data rows in the file; None until they are all read."""

    @property
    def refused(self) -> bool:
        """The fast reader stopped at a row it does not take: the batches ended there."""

    def sample(self, name: str) -> ColumnSample:
        """Distinct values of a column with their row counts (to infer its type)."""

    def batches(self, rows: int) -> Iterator[CodedTable]:
        """The rows, coded, in batches of up to ``rows`` (see :func:`batch_sizes`)."""

    def close(self) -> None:
        """Stop reading."""


@dataclass(frozen=True)
class LoadedExtract:
    """One file's rows, all as text: as Arrow read them, or coded by the careful reader.

    Columns are coded when asked for: whole (:meth:`column`, :attr:`table`) or batch by
    batch (:meth:`batches`), which is how ingestion checks and writes a large file.
    """

    names: list[str]  # the file's column names, in order
    file_format: str  # "csv" or "parquet"
    delimiter: str | None = None  # CSV only
    text: pa.Table | None = None  # the rows as Arrow text columns (fast reader, Parquet)
    coded: CodedTable | None = None  # or: the rows coded (careful reader)
    # Columns coded whole so far, by name (filled by :meth:`column`).
    _whole: dict[str, CodedColumn] = field(default_factory=dict, repr=False, compare=False)

    @property
    def rows(self) -> int:
        """Data rows in the file."""
        if self.coded is not None:
            return self.coded.rows
        return self.text.num_rows if self.text is not None else 0

    @property
    def ragged(self) -> np.ndarray:
        """Bool per row: more or fewer fields than the header (only the careful reader keeps
        such rows)."""
        return self.coded.ragged if self.coded is not None else np.zeros(self.rows, bool)

    def column(self, name: str) -> CodedColumn:
        """Column ``name`` coded whole (kept for :meth:`batches`)."""
        if self.coded is not None:
            return self.coded.columns[name]
        if name not in self._whole:
            assert self.text is not None
            self._whole[name] = CodedColumn.from_arrow(self.text.column(self.names.index(name)))
        return self._whole[name]

    def sample(self, name: str) -> ColumnSample:
        """Distinct values of column ``name`` with their row counts (see
        :meth:`CodedTable.sample`)."""
        if self.coded is not None:
            return self.coded.sample(name)
        column = self.column(name)
        counts = column.counts()
        held = counts > 0
        return ColumnSample(column.uniques[held].reset_index(drop=True), counts[held])

    @cached_property
    def table(self) -> CodedTable:
        """All rows coded, under the file's column names."""
        if self.coded is not None:
            return self.coded
        assert self.text is not None
        todo = [n for n in self.names if n not in self._whole]
        arrays = [self.text.column(self.names.index(n)) for n in todo]
        self._whole.update(_code_all(todo, arrays))
        return _coded({n: self._whole[n] for n in self.names}, self.rows)

    @property
    def refused(self) -> bool:
        """Never: the file was read whole before its rows are checked."""
        return False

    def close(self) -> None:
        """Nothing to stop: the rows are in memory."""

    def batches(self, rows: int) -> Iterator[CodedTable]:
        """The rows in batches of up to ``rows`` (see :func:`batch_sizes`), coded so that
        codes and uniques of every batch extend those of the batches before it (see
        :class:`ColumnCoder`)."""
        bounds = _bounds(self.rows, rows)
        if self.coded is not None or self.text is None:
            table = self.table
            for start, stop in bounds:
                yield table.slice(start, stop)
            return
        text = self.text
        coders = {n: ColumnCoder() for n in self.names if n not in self._whole}
        for start, stop in bounds:
            columns = {}
            for i, name in enumerate(self.names):
                if name in coders:
                    columns[name] = coders[name].code(text.column(i).slice(start, stop - start))
                else:
                    coded = self._whole[name]  # coded whole already, for the plan
                    columns[name] = CodedColumn(coded.codes[start:stop], coded.uniques)
            yield CodedTable(columns, np.arange(start + 1, stop + 1, dtype=np.int64))


def batch_sizes(rows: int) -> Iterator[int]:
    """Batch sizes for checking and writing a file: ``rows`` after a short ramp up
    (an eighth, a quarter, a half), so that the writer starts on a small first batch
    while the next ones are checked, without checking many small batches."""
    for part in (8, 4, 2):
        yield max(1, rows // part)
    while True:
        yield rows


def _bounds(total: int, rows: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch of ``total`` rows, sized by :func:`batch_sizes`."""
    out: list[tuple[int, int]] = []
    start = 0
    for size in batch_sizes(rows):
        if start >= total:
            return out
        out.append((start, min(start + size, total)))
        start += size
    return out


def load_extract(
    path: Path, fp: Fingerprint | None = None, fast_reader: bool = True
) -> LoadedExtract:
    """Read an extract's rows as coded text.

    Args:
        path: a ``.csv`` (or ``.txt``/``.tsv``) or ``.parquet`` file.
        fp: its :func:`fingerprint`, when already taken.
        fast_reader: try the fast CSV reader first (False: it refused the file already).

    Raises:
        UnreadableFile: missing, of another type, empty, or not valid CSV/Parquet; the
            message says how to export it instead.
    """
    path = Path(path)
    fp = fp or fingerprint(path)
    if file_kind(path) == "parquet":
        names, arrays = parquet_text_columns(path)
        text = pa.table(dict(zip([f"c{i}" for i in range(len(names))], arrays, strict=True)))
        return LoadedExtract(names, "parquet", text=text)
    fast = _fast_csv(path, fp.encoding) if fast_reader else None
    if fast is not None:
        return fast
    extract = read_extract(path)
    table = CodedTable.from_frame(extract.frame, extract.field_counts)
    return LoadedExtract(list(table.columns), "csv", extract.delimiter, coded=table)


def _coded(columns: dict[str, CodedColumn], rows: int) -> CodedTable:
    return CodedTable(columns, np.arange(1, rows + 1, dtype=np.int64))


def _refuse(_row: object) -> str:
    return "error"  # a row of the wrong width: leave the file to the careful reader


def csv_header(path: Path, encoding: str) -> tuple[str, list[str]] | None:
    """The delimiter and column names, or None where the careful reader must read the file."""
    with path.open("rb") as handle:
        first = handle.readline()
    line = first.decode(encoding).rstrip("\r\n")
    if not line.strip() or line.count('"') % 2:  # blank first line, or a header over lines
        return None
    delimiter = sniff_delimiter(line)
    return delimiter, check_header(next(csv.reader([line], delimiter=delimiter)), path)


def fast_csv_options(
    width: int, delimiter: str, encoding: str, block: int
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """pyarrow's CSV options for the fast reader: every field as text, nothing missing."""
    internal = [f"c{i}" for i in range(width)]
    read = pacsv.ReadOptions(
        skip_rows=1,
        column_names=internal,
        block_size=block,
        encoding="utf8" if encoding == "utf-8-sig" else "latin1",
    )
    parse = pacsv.ParseOptions(
        delimiter=delimiter,
        quote_char='"',
        double_quote=True,
        escape_char=False,
        newlines_in_values=True,
        ignore_empty_lines=True,
        invalid_row_handler=_refuse,
    )
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in internal},
        null_values=[],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return read, parse, convert


def _fast_csv(path: Path, encoding: str) -> LoadedExtract | None:
    """The rows by pyarrow's CSV reader, or None where the careful reader must read them."""
    header = csv_header(path, encoding)
    if header is None:
        return None
    delimiter, names = header
    read, parse, convert = fast_csv_options(len(names), delimiter, encoding, BLOCK)
    try:
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowException, ValueError):  # never show the message: it may quote a row
        return None
    return LoadedExtract(names, "csv", delimiter, text=table)


def refuse_malformed(extract: LoadedExtract, file_name: str) -> None:
    """Refuse a file read whole that has nothing to ingest, or whose every row misfits the
    header."""
    rows, width = extract.rows, len(extract.names)
    if rows == 0:
        raise UnreadableFile(
            f"{file_name} has a header but no rows; check that the export finished"
        )
    if extract.ragged.all():
        raise UnreadableFile(
            f"none of the {rows:,} rows of {file_name} has the header's {width} fields; "
            f"check the delimiter (read as {extract.delimiter!r}) and the quoting, and export again"
        )


def _code_all(names: list[str], arrays: list[pa.ChunkedArray]) -> dict[str, CodedColumn]:
    """Code every column, several at once (Arrow's encoder runs outside the GIL)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(arrays), os.cpu_count() or 1))) as pool:
        coded = list(pool.map(CodedColumn.from_arrow, arrays))
    return dict(zip(names, coded, strict=True))
