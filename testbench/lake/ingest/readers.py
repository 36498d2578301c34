"""Loading an extract for ingestion: its fingerprint, then its rows as text, coded on demand.

:func:`fingerprint` reads the file once for its SHA-256 (what the audit log and
re-ingestion checks key on), its text encoding, and bytes no text CSV holds.
:func:`load_extract` then reads the rows with one of two readers that give the
same rows (tests hold them to it):

- the fast reader, pyarrow's multi-threaded CSV parser, for the usual file: a
  header on the first line and every row as wide as the header;
- the careful reader, Python's ``csv`` module
  (:func:`~testbench.lake.ingest.careful_reader.read_extract`), for anything the fast
  one refuses (rows of the wrong width, which are kept and flagged; a header spread
  over lines; blank lines before it).

Rows are coded (see :mod:`~testbench.lake.ingest.coded_columns`) when asked for: a column whole for
planning, or every column batch by batch for checking and writing
(:meth:`LoadedExtract.batches`).

A CSV file the fast reader takes can also be read block by block while it is checked
and written (:func:`open_csv_stream`, :class:`CsvStream`), when nothing needs its columns
whole (a contract names every column): ingestion then starts writing after the first
batch instead of after the whole file. Should the fast reader meet a row it does not
take half-way, it raises :class:`FastReaderRefused` and ingestion starts over with the
careful reader.

Errors never quote the file's contents: a parser's message may hold a row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

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
from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.pseudonyms import safe_name

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
CHUNK = 1 << 22  # bytes read at a time for the fingerprint
GUESSED_ENCODING = "utf-8-sig"  # what most CSV exports are, as the fingerprint names it
BLOCK = 1 << 24  # bytes per block of the fast CSV reader
# Bytes per block of the streaming CSV reader: small blocks hand the first rows over soon
# (and a serial reader of small blocks costs less CPU than the threaded whole-file one).
STREAM_BLOCK = 1 << 22


class FastReaderRefused(Exception):
    """The fast CSV reader met something it does not take (a row of the wrong width, bytes
    that are not the file's encoding): the careful reader must read the file."""


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
    if _kind(path) == "parquet":
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


def _csv_header(path: Path, encoding: str) -> tuple[str, list[str]] | None:
    """The delimiter and column names, or None where the careful reader must read the file."""
    with path.open("rb") as handle:
        first = handle.readline()
    line = first.decode(encoding).rstrip("\r\n")
    if not line.strip() or line.count('"') % 2:  # blank first line, or a header over lines
        return None
    delimiter = sniff_delimiter(line)
    return delimiter, check_header(next(csv.reader([line], delimiter=delimiter)), path)


def _csv_options(
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
    header = _csv_header(path, encoding)
    if header is None:
        return None
    delimiter, names = header
    read, parse, convert = _csv_options(len(names), delimiter, encoding, BLOCK)
    try:
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowException, ValueError):  # never show the message: it may quote a row
        return None
    return LoadedExtract(names, "csv", delimiter, text=table)


@dataclass(frozen=True)
class CsvStream:
    """A CSV extract for the fast reader, read block by block as its rows are checked.

    :meth:`texts` reads the rows as text, a batch at a time; :meth:`coded` codes those
    batches as :meth:`LoadedExtract.batches` codes a file read whole (same codes, same
    source rows). Reading and coding are separate so that they can run on different
    threads (see :func:`testbench.lake.ingest.batch_checking.prefetched`).
    """

    path: Path
    names: list[str]  # the file's column names, in order
    delimiter: str
    encoding: str  # as the fingerprint found it
    file_format: str = "csv"

    def texts(self, rows: int) -> Generator[pa.Table, None, None]:
        """The rows as text columns, in batches of up to ``rows`` (see :func:`batch_sizes`;
        a file without rows gives no batch).

        Raises:
            FastReaderRefused: a row the fast reader does not take (rows before it may have
                been handed out already).
        """
        read, parse, convert = _csv_options(
            len(self.names), self.delimiter, self.encoding, STREAM_BLOCK
        )
        try:
            reader = pacsv.open_csv(
                self.path, read_options=read, parse_options=parse, convert_options=convert
            )
        except (pa.ArrowException, ValueError):  # never show the message: it may quote a row
            raise FastReaderRefused(safe_name(self.path.name)) from None
        try:
            sizes = batch_sizes(rows)
            size, held = next(sizes), 0
            pending: list[pa.RecordBatch] = []
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowException, ValueError):
                    raise FastReaderRefused(safe_name(self.path.name)) from None
                pending.append(batch)
                held += batch.num_rows
                while held >= size:
                    table = pa.Table.from_batches(pending, reader.schema)
                    yield table.slice(0, size)
                    rest = table.slice(size)
                    pending, held, size = rest.to_batches(), rest.num_rows, next(sizes)
            if held:
                yield pa.Table.from_batches(pending, reader.schema)
        finally:
            reader.close()

    def coded(self, texts: Iterable[pa.Table]) -> Iterator[CodedTable]:
        """Code batches of :meth:`texts`, in file order, under the file's column names."""
        coders = [ColumnCoder() for _ in self.names]
        done = 0
        for text in texts:
            columns = {
                name: coder.code(text.column(i))
                for i, (name, coder) in enumerate(zip(self.names, coders, strict=True))
            }
            rows = np.arange(done + 1, done + text.num_rows + 1, dtype=np.int64)
            done += text.num_rows
            yield CodedTable(columns, rows)


def open_csv_stream(path: Path, encoding: str) -> CsvStream | None:
    """A CSV file to read block by block, or None: not CSV, or its header is left to the
    careful reader (a blank first line, a header spread over lines).

    Args:
        path: the file.
        encoding: its text encoding, as :func:`fingerprint` finds it (or
            :data:`GUESSED_ENCODING`, before it is known).

    Raises:
        UnicodeDecodeError: the header is not text of ``encoding``.
    """
    path = Path(path)
    if _kind(path) != "csv":
        return None
    header = _csv_header(path, encoding)
    if header is None:
        return None
    return CsvStream(path, header[1], header[0], encoding)


def _code_all(names: list[str], arrays: list[pa.ChunkedArray]) -> dict[str, CodedColumn]:
    """Code every column, several at once (Arrow's encoder runs outside the GIL)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(arrays), os.cpu_count() or 1))) as pool:
        coded = list(pool.map(CodedColumn.from_arrow, arrays))
    return dict(zip(names, coded, strict=True))
