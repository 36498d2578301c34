"""Loading an extract for ingestion: its fingerprint, then its rows as coded text.

:func:`fingerprint` reads the file once for its SHA-256 (what the audit log and
re-ingestion checks key on), its text encoding, and bytes no text CSV holds.
:func:`load_extract` then reads the rows with one of two readers that give the
same rows (tests hold them to it):

- the fast reader, pyarrow's multi-threaded CSV parser, for the usual file: a
  header on the first line and every row as wide as the header;
- the careful reader, Python's ``csv`` module (:func:`~testbench.lake.extract.read_extract`),
  for anything the fast one refuses (rows of the wrong width, which are kept and
  flagged; a header spread over lines; blank lines before it).

Errors never quote the file's contents: a parser's message may hold a row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from testbench.lake.coded import CodedColumn, CodedTable
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
    """One file's rows, all as text, coded."""

    table: CodedTable  # the rows, under the file's column names
    file_format: str  # "csv" or "parquet"
    delimiter: str | None = None  # CSV only

    @property
    def rows(self) -> int:
        """Data rows in the file."""
        return self.table.rows


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
        rows = arrays[0].length() if arrays else 0
        return LoadedExtract(_coded(_code_all(names, arrays), rows), "parquet")
    fast = _fast_csv(path, fp.encoding)
    if fast is not None:
        return fast
    extract = read_extract(path)
    table = CodedTable.from_frame(extract.frame, extract.field_counts)
    return LoadedExtract(table, "csv", extract.delimiter)


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
    return LoadedExtract(_coded(_code_all(names, table.columns), table.num_rows), "csv", delimiter)


def _code_all(names: list[str], arrays: list[pa.ChunkedArray]) -> dict[str, CodedColumn]:
    """Code every column, several at once (Arrow's encoder runs outside the GIL)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(arrays), os.cpu_count() or 1))) as pool:
        coded = list(pool.map(CodedColumn.from_arrow, arrays))
    return dict(zip(names, coded, strict=True))
