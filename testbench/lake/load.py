"""Loading an extract for ingestion: its fingerprint, then its rows as text, coded on demand.

:func:`fingerprint` reads the file once for its SHA-256 (what the audit log and
re-ingestion checks key on), its text encoding, and bytes no text CSV holds.
:func:`load_extract` then reads the rows with one of two readers that give the
same rows (tests hold them to it):

- the fast reader, pyarrow's multi-threaded CSV parser, for the usual file: a
  header on the first line and every row as wide as the header;
- the careful reader, Python's ``csv`` module (:func:`~testbench.lake.extract.read_extract`),
  for anything the fast one refuses (rows of the wrong width, which are kept and
  flagged; a header spread over lines; blank lines before it).

Rows are coded (see :mod:`~testbench.lake.coded`) when asked for: a column whole for
planning, or every column batch by batch for checking and writing
(:meth:`LoadedExtract.batches`).

Errors never quote the file's contents: a parser's message may hold a row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from testbench.lake.coded import CodedColumn, CodedTable, ColumnCoder, ColumnSample
from testbench.lake.extract import (
    check_header,
    parquet_text_columns,
    read_extract,
    sniff_delimiter,
)
from testbench.lake.ingest_errors import UnreadableFile
from testbench.lake.pseudonym import safe_name

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
CHUNK = 1 << 22  # bytes read at a time for the fingerprint
BLOCK = 1 << 24  # bytes per block of the fast CSV reader


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's contents, read in one pass."""

    sha256: str  # hex SHA-256 of the file's bytes
    size: int  # bytes
    encoding: str  # "utf-8-sig" or "latin-1" for text; "" for Parquet


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

    def batches(self, rows: int) -> Iterator[CodedTable]:
        """The rows in batches of ``rows``, coded so that codes and uniques of every batch
        extend those of the batches before it (see :class:`ColumnCoder`)."""
        if self.coded is not None or self.text is None:
            table = self.table
            for start in range(0, table.rows, rows):
                yield table.slice(start, start + rows)
            return
        text = self.text
        coders = {n: ColumnCoder() for n in self.names if n not in self._whole}
        for start in range(0, self.rows, rows):
            columns = {}
            for i, name in enumerate(self.names):
                if name in coders:
                    columns[name] = coders[name].code(text.column(i).slice(start, rows))
                else:
                    coded = self._whole[name]  # coded whole already, for the plan
                    columns[name] = CodedColumn(coded.codes[start : start + rows], coded.uniques)
            stop = min(start + rows, self.rows)
            yield CodedTable(columns, np.arange(start + 1, stop + 1, dtype=np.int64))


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise UnreadableFile(
        f"cannot ingest {safe_name(path.name)}: unknown file type {suffix or '(none)'}; "
        "export the extract as .csv (with a header row) or .parquet"
    )


def fingerprint(path: Path) -> Fingerprint:
    """SHA-256, size and text encoding of an extract file.

    Raises:
        UnreadableFile: no such file, an unknown file type, or a text file holding NUL
            bytes (UTF-16 or binary, not a CSV export).
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"no file {safe_name(str(path))}; check the path")
    text = _kind(path) == "csv"
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, size, nul = text, 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if text:
                nul = nul or b"\x00" in chunk
                if utf8 and not chunk.isascii():  # ASCII is UTF-8: skip the decoder
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
    if text and utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if nul:
        raise UnreadableFile(
            f"{safe_name(path.name)} holds NUL bytes, so it is UTF-16 or binary, not a text "
            "CSV; export it again as CSV in UTF-8 (or Latin-1), or as Parquet"
        )
    encoding = ("utf-8-sig" if utf8 else "latin-1") if text else ""
    return Fingerprint(digest.hexdigest(), size, encoding)


def load_extract(path: Path, fp: Fingerprint | None = None) -> LoadedExtract:
    """Read an extract's rows as coded text.

    Args:
        path: a ``.csv`` (or ``.txt``/``.tsv``) or ``.parquet`` file.
        fp: its :func:`fingerprint`, when already taken.

    Raises:
        UnreadableFile: missing, of another type, empty, or not valid CSV/Parquet; the
            message says how to export it instead.
    """
    path = Path(path)
    fp = fp or fingerprint(path)
    if _kind(path) == "parquet":
        names, arrays = parquet_text_columns(path)
        text = pa.table(dict(zip([f"c{i}" for i in range(len(names))], arrays, strict=True)))
        return LoadedExtract(names, "parquet", text=text)
    fast = _fast_csv(path, fp.encoding)
    if fast is not None:
        return fast
    extract = read_extract(path)
    table = CodedTable.from_frame(extract.frame, extract.field_counts)
    return LoadedExtract(list(table.columns), "csv", extract.delimiter, coded=table)


def _coded(columns: dict[str, CodedColumn], rows: int) -> CodedTable:
    return CodedTable(columns, np.arange(1, rows + 1, dtype=np.int64))


def _refuse(_row: object) -> str:
    return "error"  # a row of the wrong width: leave the file to the careful reader


def _fast_csv(path: Path, encoding: str) -> LoadedExtract | None:
    """The rows by pyarrow's CSV reader, or None where the careful reader must read them."""
    with path.open("rb") as handle:
        first = handle.readline()
    line = first.decode(encoding).rstrip("\r\n")
    if not line.strip() or line.count('"') % 2:  # blank first line, or a header over lines
        return None
    delimiter = sniff_delimiter(line)
    names = check_header(next(csv.reader([line], delimiter=delimiter)), path)
    internal = [f"c{i}" for i in range(len(names))]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                skip_rows=1,
                column_names=internal,
                block_size=BLOCK,
                encoding="utf8" if encoding == "utf-8-sig" else "latin1",
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=True,
                invalid_row_handler=_refuse,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in internal},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # never show the message: it may quote a row
        return None
    return LoadedExtract(names, "csv", delimiter, text=table)


def _code_all(names: list[str], arrays: list[pa.ChunkedArray]) -> dict[str, CodedColumn]:
    """Code every column, several at once (Arrow's encoder runs outside the GIL)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(arrays), os.cpu_count() or 1))) as pool:
        coded = list(pool.map(CodedColumn.from_arrow, arrays))
    return dict(zip(names, coded, strict=True))
