"""Checking and writing an extract batch by batch, the two overlapping on two cores.

Writing to the lake is the slowest step of ingestion, and DuckDB keeps rows in file
order only when one thread writes them. So ingestion checks batch i+1
(:func:`checked_batches`) on a worker thread (:func:`prefetched`), and reads and codes
batch i+2 on another, while DuckDB writes batch i on this one; DuckDB, Arrow and most
NumPy and pandas work run without Python's GIL, so they overlap.
The checker (:class:`~testbench.lake.ingest.row_checks.TableChecker`) carries what it learnt
from one batch to the next, so the rows refused are the ones checking the file whole
refuses, with the same reasons. :class:`Checking` puts it together for one extract.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from queue import Empty, Full, Queue
from typing import TYPE_CHECKING, TypeVar

import duckdb
import pyarrow as pa

from testbench.lake.hashing import quote_ident, row_hashes
from testbench.lake.ingest.coded_columns import CodedTable
from testbench.lake.ingest.contracts import ForeignKey
from testbench.lake.ingest.errors import IngestError
from testbench.lake.ingest.key_checks import ParentKeys, parent_keys_in, parents_present
from testbench.lake.ingest.row_checks import Checked, TableChecker, TablePlan

if TYPE_CHECKING:
    from testbench.lake.ingest.readers import Rows

T = TypeVar("T")

# Rows per batch: 8 of DuckDB's row groups. Smaller batches start the writer sooner and
# leave it less to do after the last check; larger ones cost less per row (fewer Arrow
# and DuckDB calls, fewer lookups of values met before). On the 5M-row benchmark's file,
# 4 row groups took 0.15-0.3 s longer and 16 row groups 0.8 s longer.
BATCH_ROWS = 8 * 122_880
POLL_S = 0.1  # how often a waiting worker looks whether the caller has stopped


@contextmanager
def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[Iterator[T]]:
    """``items``, computed ahead on a worker thread (at most ``depth`` waiting).

    An exception raised computing an item is raised where the caller takes that item.
    Leaving the block early stops the worker once the item it is on is done.
    """
    queue: Queue[tuple[bool, object]] = Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=POLL_S)
                return True
            except Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, end))
        except BaseException as exc:  # handed to the caller, raised there
            put((False, exc))

    def taken() -> Iterator[T]:
        while True:
            try:
                ok, item = queue.get(timeout=POLL_S)
            except Empty:
                if not worker.is_alive() and queue.empty():
                    raise RuntimeError("the prefetch worker stopped without a result") from None
                continue
            if not ok:
                assert isinstance(item, BaseException)
                raise item
            if item is end:
                return
            yield item  # type: ignore[misc]

    worker = threading.Thread(target=work, name="lake-prefetch", daemon=True)
    worker.start()
    try:
        yield taken()
    finally:
        stop.set()
        worker.join()


@dataclass
class CheckedTotals:
    """What the batches of one extract added up to."""

    rows: int = 0  # rows checked
    failed: int = 0  # rows refused
    counts: Counter[str] = field(default_factory=Counter)  # reason -> rows failing it
    checked: dict[str, None] = field(default_factory=dict)  # reasons checked, in check order
    quarantine_parts: list[pa.Table] = field(default_factory=list)  # refused rows, per batch

    def add(self, checked: Checked) -> None:
        """Count one checked batch in."""
        self.rows += checked.table.rows
        self.failed += int(checked.failed.sum())
        self.counts.update(checked.reasons())
        self.checked.update(dict.fromkeys(checked.checked_reasons))
        if checked.failed.any():
            self.quarantine_parts.append(checked.quarantine_arrow())

    def reasons(self) -> dict[str, int]:
        """Reason -> rows failing it, in the order the checks run (as for a whole file)."""
        return {r: self.counts[r] for r in self.checked if self.counts[r]}

    def quarantine(self) -> pa.Table | None:
        """The refused rows of all batches, in file order; None when there are none."""
        return pa.concat_tables(self.quarantine_parts) if self.quarantine_parts else None


class RowHashes:
    """Rows and the sum of DuckDB's ``hash()`` of each row (modulo 2^64) of lake batches:
    the table's content hash (:func:`~testbench.lake.hashing.hash_of`) once they are all
    in, taken from the batches on their way to the lake instead of reading the table back.

    Each batch is hashed as the table it is written to holds it: its columns cast to the
    types DuckDB gives the first batch's (the table is created from that batch).
    """

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        self._types: list[tuple[str, str]] = []

    def add(self, batch: pa.Table) -> None:
        """Count one batch in (in file order)."""
        if self._con is None:
            self._con = duckdb.connect()
            self._con.execute("SET threads = 1")  # the writer has the other core
        self._con.register("_batch", batch)
        try:
            if not self._types:
                described = self._con.execute("DESCRIBE SELECT * FROM _batch").fetchall()
                self._types = [(str(row[0]), str(row[1])) for row in described]
            typed = ", ".join(
                f"CAST({quote_ident(source)} AS {kind}) AS {quote_ident(name)}"
                for source, (name, kind) in zip(batch.column_names, self._types, strict=True)
            )
            rows, total = row_hashes(self._con, f"(SELECT {typed} FROM _batch)")
        finally:
            self._con.unregister("_batch")
        self.rows += rows
        self.total = (self.total + total) % 2**64

    def close(self) -> None:
        """Let go of the in-memory DuckDB connection."""
        if self._con is not None:
            self._con.close()
            self._con = None


def checked_batches(
    batches: Iterable[CodedTable],
    checker: TableChecker,
    totals: CheckedTotals,
    hashes: RowHashes | None = None,
) -> Iterator[pa.Table]:
    """Check ``batches`` in file order; yield each one's lake rows, count it into ``totals``.

    Args:
        batches: the extract's rows, coded batch by batch, under their lake column names.
        checker: the checker for the extract's plan (fresh: it remembers what it checked).
        totals: filled in as the batches are checked (complete once the iterator ends).
        hashes: when given, the lake rows' hashes are added to it (on the thread that
            checks, so the writer does not spend its time on them).
    """
    try:
        for batch in batches:
            checked = checker.check(batch)
            totals.add(checked)
            rows = checked.lake_arrow()
            if hashes is not None:
                hashes.add(rows)
            yield rows
    finally:
        if hashes is not None:
            hashes.close()


class Checking:
    """An extract's batches being read and coded on one worker thread and checked on
    another, in file order, ready to be written. (Early in a file, checking is the slow
    step: each new person's CPR number is checked and pseudonymised once. Later, writing
    is.)

    The workers start at once; the checking one waits for the parent keys
    (:attr:`parents`, handed over by :meth:`start_parent_keys` or :meth:`read_parent_keys`
    once it is known the file is to be written) where it first checks a foreign key.
    :meth:`close` stops both, then the reading.

    Args:
        rows: the extract's rows, as the reader gives them.
        batches: their batches, coded, under the lake's column names.
        plan: the checks, with every foreign key the extract has (those whose parent is
            not in the lake yet are left unchecked, see :attr:`unchecked`).
        declared: the foreign keys declared for this ingestion (not the contract's).
        tables: the tenant's lake tables.
        table: the table being ingested.
        pseudonym_key: the tenant's pseudonym key.
        today: the day that counts as today.

    Raises:
        UnknownParentTable: a declared foreign key's parent table is not in the lake.
    """

    def __init__(
        self,
        rows: Rows,
        batches: Iterator[CodedTable],
        plan: TablePlan,
        declared: Sequence[ForeignKey],
        tables: Sequence[str],
        table: str,
        pseudonym_key: str,
        today: date | None,
    ) -> None:
        checked, self.unchecked, self.own = parents_present(
            plan.foreign_keys, set(declared), tables, table
        )
        self.rows = rows
        self.plan = replace(plan, foreign_keys=tuple(checked))
        self.parents: Future[dict[str, ParentKeys]] = Future()
        self.totals, self.hashes = CheckedTotals(), RowHashes()
        checker = TableChecker(self.plan, pseudonym_key, _Awaited(self.parents), today)
        self._stack = ExitStack()
        self._stack.callback(rows.close)  # runs last on close, once the workers stopped
        coded = self._stack.enter_context(prefetched(batches))  # read and coded on one worker,
        self.ready = self._stack.enter_context(  # checked on another
            prefetched(checked_batches(coded, checker, self.totals, self.hashes))
        )
        self._stack.callback(self._settle)  # runs first on close, so the worker can stop

    @property
    def refused(self) -> bool:
        """The fast reader stopped at a row it does not take: the batches ended there."""
        return self.rows.refused

    def start_parent_keys(self, con: duckdb.DuckDBPyConnection) -> None:
        """Hand the worker the parent keys, read on ``con``, unless it has them already.

        An error reading them is handed over too, and :meth:`read_parent_keys` raises it.
        """
        if self.parents.done():
            return
        try:
            keys = {
                column: ParentKeys(values).prepared()
                for column, values in parent_keys_in(con, self.plan.foreign_keys).items()
            }
        except Exception as exc:  # the worker and read_parent_keys raise it
            self.parents.set_exception(exc)
            return
        self.parents.set_result(keys)

    def read_parent_keys(self, con: duckdb.DuckDBPyConnection) -> None:
        """:meth:`start_parent_keys`, then raise the error reading them met, if any.

        Raises:
            UnknownParentTable: a parent table has no such column.
        """
        self.start_parent_keys(con)
        self.parents.result()

    def _settle(self) -> None:
        if not self.parents.done():
            self.parents.set_exception(IngestError("ingestion stopped before writing"))

    def close(self) -> None:
        """Stop the workers (once the batch each is on is done), then the reading."""
        self._stack.close()


class _Awaited(Mapping[str, ParentKeys]):
    """A mapping another thread fills in: looking at it waits until it is there."""

    def __init__(self, future: Future[dict[str, ParentKeys]]) -> None:
        self._future = future

    def __getitem__(self, key: str) -> ParentKeys:
        return self._future.result()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._future.result())

    def __len__(self) -> int:
        return len(self._future.result())
