"""Reading a CSV extract block by block while its rows are checked and written
(:attr:`~testbench.lake.ingest.readers.Reader.CSV_STREAM`).

When nothing needs a file's columns whole (a contract names every column), the fast
reader (pyarrow's CSV parser, see :mod:`~testbench.lake.ingest.readers`) reads it a
block at a time: ingestion starts writing after the first batch instead of after the
whole file. :func:`stream_csv` reads the first batch at once; :class:`StreamedRows`
hands out the rest as they are asked for. Whether the fast reader takes every row shows
only as it reads them: at a row it does not take, the batches end and
:attr:`CsvStream.refused` says so (the careful reader must then read the file).

Errors never quote the file's contents: a parser's message may hold a row.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from testbench.lake.ingest.coded_columns import CodedTable, ColumnCoder, ColumnSample
from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.fingerprints import file_kind
from testbench.lake.ingest.readers import batch_sizes, csv_header, fast_csv_options

# Bytes per block of the streaming CSV reader: small blocks hand the first rows over soon
# (and a serial reader of small blocks costs less CPU than the threaded whole-file one).
STREAM_BLOCK = 1 << 22


@dataclass
class CsvStream:
    """A CSV extract for the fast reader, read block by block as its rows are checked.

    :meth:`texts` reads the rows as text, a batch at a time; :meth:`coded` codes those
    batches as :meth:`~testbench.lake.ingest.readers.LoadedExtract.batches` codes a file
    read whole (same codes, same source rows). Reading and coding are separate so that
    they can run on different threads (see
    :func:`~testbench.lake.ingest.batch_checking.prefetched`).
    """

    path: Path
    names: list[str]  # the file's column names, in order
    delimiter: str
    encoding: str  # as the fingerprint found it
    file_format: str = "csv"
    # Set by :meth:`texts` where the fast reader met a row it does not take (the batches
    # end there): the careful reader must read the file.
    refused: bool = field(default=False, init=False)

    def texts(self, rows: int) -> Generator[pa.Table, None, None]:
        """The rows as text columns, in batches of up to ``rows`` (see
        :func:`~testbench.lake.ingest.readers.batch_sizes`; a file without rows gives no
        batch). At a row the fast reader does not take, the batches end and
        :attr:`refused` is set (rows before it may have been handed out).
        """
        read, parse, convert = fast_csv_options(
            len(self.names), self.delimiter, self.encoding, STREAM_BLOCK
        )
        try:
            reader = pacsv.open_csv(
                self.path, read_options=read, parse_options=parse, convert_options=convert
            )
        except (pa.ArrowException, ValueError):  # never show the message: it may quote a row
            self.refused = True
            return
        try:
            sizes = batch_sizes(rows)
            size, held = next(sizes), 0
            pending: list[pa.RecordBatch] = []
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowException, ValueError):  # the message may quote a row
                    self.refused = True
                    return
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
        encoding: its text encoding, as
            :func:`~testbench.lake.ingest.fingerprints.fingerprint` finds it (or
            :data:`~testbench.lake.ingest.fingerprints.GUESSED_ENCODING`, before it is
            known).

    Raises:
        UnicodeDecodeError: the header is not text of ``encoding``.
    """
    path = Path(path)
    if file_kind(path) != "csv":
        return None
    header = csv_header(path, encoding)
    if header is None:
        return None
    return CsvStream(path, header[1], header[0], encoding)


@dataclass
class StreamedRows:
    """A CSV file's rows as the fast reader streams them (see :func:`stream_csv`), the
    first batch read already."""

    stream: CsvStream
    texts: Generator[pa.Table, None, None]  # the batches after the first
    first: pa.Table
    batch_rows: int  # the size the batches were read at (see readers.batch_sizes)
    rows: int | None = None  # not known until the file is read to the end

    @property
    def names(self) -> list[str]:
        """The file's column names, in order."""
        return self.stream.names

    @property
    def file_format(self) -> str:
        """``"csv"``."""
        return self.stream.file_format

    @property
    def refused(self) -> bool:
        """The fast reader met a row it does not take: the batches ended there."""
        return self.stream.refused

    def sample(self, name: str) -> ColumnSample:
        """Never asked for: the rows are streamed only where no column's type is inferred
        (see :func:`~testbench.lake.ingest.readers.choose_reader`)."""
        raise AssertionError(f"column {name!r} is needed whole; read the file whole")

    def batches(self, rows: int) -> Iterator[CodedTable]:
        """The rows, coded, in batches (``rows`` must be the size they were read at)."""
        assert rows == self.batch_rows, "the batches were sized when the first was read"
        return self.stream.coded(chain([self.first], self.texts))

    def close(self) -> None:
        """Stop reading."""
        self.texts.close()


def stream_csv(path: Path, encoding: str, rows: int, file_name: str) -> StreamedRows | None:
    """Start reading a CSV file block by block (:attr:`Reader.CSV_STREAM`): its first batch
    of up to ``rows`` rows now, the rest as they are asked for.

    Returns:
        The rows; None where the fast reader does not take the file's header or first rows
        (the careful reader must read the file).

    Raises:
        UnreadableFile: the file has a header and no rows.
        UnicodeDecodeError: the header is not text of ``encoding``.
    """
    stream = open_csv_stream(path, encoding)
    if stream is None:
        return None
    texts = stream.texts(rows)
    first = next(texts, None)
    if stream.refused:
        texts.close()
        return None
    if first is None:
        raise UnreadableFile(
            f"{file_name} has a header but no rows; check that the export finished"
        )
    return StreamedRows(stream, texts, first, rows)
