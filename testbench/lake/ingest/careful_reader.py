"""Reading an extract file (CSV or Parquet) as text, row by row.

Every value is read as text, so a contract sees exactly what the file holds and
nothing is converted behind its back (a product number keeps its leading zero,
a malformed date is not turned into a missing one). Row numbers are kept: the
frame's index is each data row's 1-based position in the file (the header row
is not counted), which is what a quarantine row points back to.

CSV: the delimiter is detected from the header (``;`` as Danish extracts often
use, ``,``, tab or ``|``); the encoding is UTF-8 (with or without a byte-order
mark), else Latin-1 (older Windows exports). Empty lines are skipped and not
counted; any other line is a row. A row with more or fewer fields than the
header is kept, padded or cut to the header's width, and flagged, so ingestion
can quarantine it rather than guess which value belongs where.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from testbench.lake.ingest.coded_columns import is_missing_text
from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.pseudonyms import looks_like_cpr, safe_name

if TYPE_CHECKING:
    import pyarrow as pa

DELIMITERS = (";", ",", "\t", "|")
ENCODINGS = ("utf-8-sig", "latin-1")  # latin-1 decodes any byte: the last resort


@dataclass(frozen=True)
class Extract:
    """One file's rows, all as text."""

    frame: pd.DataFrame  # object columns of str or None; index = 1-based data-row number
    field_counts: pd.Series  # fields found, for the rows whose count differs from the header's
    file_format: str  # "csv" or "parquet"
    delimiter: str | None = None  # CSV only

    @property
    def rows(self) -> int:
        """Data rows in the file."""
        return len(self.frame)


def read_extract(path: Path) -> Extract:
    """Read a ``.csv`` (or ``.txt``/``.tsv``) or ``.parquet`` file as text.

    Raises:
        UnreadableFile: the file is missing, of another type, empty, or not valid
            CSV/Parquet; the message says how to export it instead.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"no file {safe_name(str(path))}; check the path")
    suffix = path.suffix.lower()
    label = safe_name(path.name)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    raise UnreadableFile(
        f"cannot ingest {label}: unknown file type {suffix or '(none)'}; "
        "export the extract as .csv (with a header row) or .parquet"
    )


def _missing_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column]
        frame[column] = values.astype(object).where(~is_missing_text(values), None)
    return frame


def check_header(header: list[str], path: Path) -> list[str]:
    """The column names of a header row (blank ones named ``column_<i>``).

    Raises:
        UnreadableFile: a name looks like a CPR number (the row is data, not a header),
            or a name appears twice.
    """
    label = safe_name(path.name)
    names = [name.strip() or f"column_{i + 1}" for i, name in enumerate(header)]
    if looks_like_cpr(pd.Series(names, dtype=object)).any():  # never echo such a name
        raise UnreadableFile(
            f"the first row of {label} holds what looks like a CPR number, so it is data, "
            "not a header; add a header row naming the columns and ingest again"
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UnreadableFile(
                f"{label} has the column name {name!r} twice; rename one and ingest again"
            )
        seen.add(name)
    return names


def sniff_delimiter(first_line: str) -> str:
    """The candidate that splits the header into the most fields (``,`` when none splits it)."""
    best, best_count = ",", 1
    for candidate in DELIMITERS:
        count = len(next(csv.reader([first_line], delimiter=candidate), []))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _blank(fields: list[str]) -> bool:
    """Nothing, or only spaces, on the line."""
    return len(fields) <= 1 and not "".join(fields).strip()


def _read_csv(path: Path) -> Extract:
    for encoding in ENCODINGS:
        try:
            return _read_csv_as(path, encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _read_csv_as(path: Path, encoding: str) -> Extract:
    label = safe_name(path.name)
    with path.open(encoding=encoding, newline="") as handle:
        first_line = handle.readline()
        while first_line and not first_line.strip():
            first_line = handle.readline()
        if not first_line:
            raise UnreadableFile(f"{label} is empty; it needs a header row naming the columns")
        delimiter = sniff_delimiter(first_line)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
            while _blank(header):  # blank lines before the header
                header = next(reader)
            names = check_header(header, path)
            width = len(names)
            rows: list[list[str]] = []
            counts: dict[int, int] = {}
            for fields in reader:
                if not fields:  # an empty line is no row; anything else is one
                    continue
                if len(fields) != width:
                    counts[len(rows) + 1] = len(fields)
                    fields = (fields + [""] * width)[:width]
                rows.append(fields)
        except csv.Error as exc:
            raise UnreadableFile(
                f"{label} is not valid CSV near line {reader.line_num}: {exc}; "
                "check its quoting, or export it again as CSV or Parquet"
            ) from None
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return Extract(
        frame=_missing_to_none(frame),
        field_counts=pd.Series(counts, dtype="int64"),
        file_format="csv",
        delimiter=delimiter,
    )


def parquet_text_columns(path: Path) -> tuple[list[str], list[pa.ChunkedArray]]:
    """A Parquet file's column names and its columns cast to text.

    Raises:
        UnreadableFile: not valid Parquet (truncated, another format), a nested
            column, or a type that cannot be read as text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    label = safe_name(path.name)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        raise UnreadableFile(
            f"cannot read {label} as Parquet (truncated or not Parquet); "
            "export it again, or as CSV with a header row"
        ) from None
    names = check_header([str(name) for name in table.column_names], path)
    columns = []
    for name, column in zip(names, table.columns, strict=True):
        if pa.types.is_nested(column.type):
            raise UnreadableFile(
                f"column {name!r} of {label} holds nested values ({column.type}); "
                "flatten it to one value per cell and export again"
            )
        try:
            columns.append(pc.cast(column, pa.string()))
        except pa.ArrowException:
            raise UnreadableFile(
                f"column {name!r} of {label} has a type ({column.type}) that cannot be "
                "read as text; export it as text, numbers or dates"
            ) from None
    return names, columns


def _read_parquet(path: Path) -> Extract:
    names, columns = parquet_text_columns(path)
    texts = {n: pd.Series(c.to_pylist(), dtype=object) for n, c in zip(names, columns, strict=True)}
    frame = pd.DataFrame(texts, columns=names, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return Extract(
        frame=_missing_to_none(frame),
        field_counts=pd.Series({}, dtype="int64"),
        file_format="parquet",
    )
