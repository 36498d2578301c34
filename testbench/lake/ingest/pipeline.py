"""Ingesting a real extract (CSV or Parquet) into a tenant's lake: :func:`ingest_file`.

>>> report = ingest_file(lake, tenant.derived_key("pseudonym"), Path("lab.csv"), "lab",
...                      contract="lab")

Its steps, one function each here, the work in the modules they name:

1. :func:`_look_up`: fingerprint the file and, when this very file was ingested the
   same way and nothing it depends on changed since, stop: nothing changes
   (:mod:`~testbench.lake.ingest.fingerprints`, :mod:`~testbench.lake.ingest.quarantine`);
2. :func:`_read`: read the rows as text with the reader
   :func:`~testbench.lake.ingest.readers.choose_reader` picks for the file; an
   unreadable file, an empty one, one with a header and no rows, or one none of whose
   rows fits the header is refused with one line saying why, before anything is written;
3. :func:`_plan`: plan the checks, from the source's contract or inferred types and
   declared keys (:mod:`~testbench.lake.ingest.planning`), and start checking the rows
   batch by batch on worker threads (:mod:`~testbench.lake.ingest.batch_checking`);
4. :func:`_check_and_write`: in one transaction, write the rows that passed as the
   table while the workers check the next batches, replacing CPR numbers by keyed
   pseudonyms (:mod:`~testbench.lake.ingest.row_checks`,
   :mod:`~testbench.lake.ingest.value_checks`, :mod:`~testbench.lake.ingest.key_checks`);
   declare the table's keys, append the rows that failed to its quarantine and record
   the ingestion;
5. :func:`_finished`: append an entry to the tenant's audit log, if the lake has one.

Every row of the file is either ingested or quarantined, never dropped.

How the steps overlap on a large CSV file whose contract names every column: while
the file is fingerprinted (step 1), steps 2 and 3 already run on the guess that it is
UTF-8 (:class:`_HeadStart`): the first batches are read and coded on one worker thread
and checked on another. Nothing is written until the fingerprint says the file is new
and the guess was right (else the work done is dropped and the file read again). Then
the rows that passed are written batch by batch, in file order, while the workers read,
code and check the next batches; the table's content hash is summed from the batches
on the checking worker as they go by. CPR pseudonym columns are stored uncompressed
(see :meth:`~testbench.lake.writer.LakeWriter.replace_table_batches`). A file
whose column types must be inferred is read whole first (types come from all its
values); where the fast reader stops at a row it does not take half-way, step 4 writes
nothing and steps 2 to 4 run again with the careful reader.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType

import duckdb

from generators.relations import Relation
from testbench.lake.hashing import HASH_METHOD, hash_of, table_columns, table_hash
from testbench.lake.ingest.batch_checking import BATCH_ROWS, Checking
from testbench.lake.ingest.contracts import Contract, get_contract
from testbench.lake.ingest.csv_stream import stream_csv
from testbench.lake.ingest.errors import IngestError
from testbench.lake.ingest.fingerprints import (
    CSV_SUFFIXES,
    GUESSED_ENCODING,
    Fingerprint,
    fingerprint,
)
from testbench.lake.ingest.key_checks import dangling_self_references
from testbench.lake.ingest.planning import parse_foreign_key, plan_columns
from testbench.lake.ingest.pseudonyms import safe_name
from testbench.lake.ingest.quarantine import (
    INGEST_LOG,
    QUARANTINE_PREFIX,
    IngestReport,
    forget_same_file,
    log_row,
    stamped,
    unchanged_report,
)
from testbench.lake.ingest.readers import (
    Reader,
    Rows,
    choose_reader,
    load_extract,
    refuse_malformed,
)
from testbench.lake.lake import INTERNAL_PREFIX, Lake

Progress = Callable[[str], None]


def ingest_file(
    lake: Lake,
    pseudonym_key: str,
    path: Path,
    table: str,
    contract: str | None = None,
    primary_key: str | None = None,
    foreign_keys: Sequence[str] = (),
    progress: Progress | None = None,
    today: date | None = None,
) -> IngestReport:
    """Check an extract row by row and write it to the lake as table ``table``.

    The steps (see the module's docstring for what each does and how they overlap):

    1. fingerprint the file; stop if it is in the lake already, ingested the same way;
    2. read its rows, with the reader chosen for the file;
    3. plan the checks and start checking the rows on worker threads;
    4. write the rows that passed, the keys, the quarantine and the ingest-log row, in
       one transaction (where the fast reader stops at a row it does not take, nothing
       is written and steps 2 to 4 run again with the careful reader);
    5. log the ingestion in the tenant's audit log.

    Ingesting into a table replaces it: its rows, primary key and the foreign keys it
    declares. Its quarantine is appended to, each row marked with the ingestion's id,
    so refused rows of earlier files stay for inspection; the rows an earlier
    ingestion of the same file left there are replaced, never doubled. Ingesting the
    same file again the same way changes nothing, unless the table or a parent table
    it is checked against has changed since. (``today`` is not part of that: a date
    refused as "in the future" stays refused until something else changes.)

    Args:
        lake: the tenant's lake (with its audit log attached, the ingestion is logged).
        pseudonym_key: ``tenant.derived_key("pseudonym")``; keys the CPR pseudonyms.
        path: a ``.csv`` (``;``, ``,``, tab or ``|`` separated, header row) or ``.parquet`` file.
        table: the lake table to write (any name not starting with ``_tb_``).
        contract: the Danish source the file is an extract of (see
            :data:`~testbench.lake.ingest.contracts.CONTRACTS`), or None for any table.
        primary_key: a column that must be unique and non-empty.
        foreign_keys: ``"COLUMN:PARENT_TABLE.PARENT_COLUMN"`` references, checked against
            the parent table in the lake and declared as relations.
        progress: called with short messages as the steps go.
        today: the day that counts as today for "in the future" (tests fix it).

    Returns:
        The report: rows in the file, ingested and quarantined (always adding up),
        reasons, pseudonymised columns, keys, hashes; ``unchanged`` when nothing was done.

    Raises:
        UnknownContract: ``contract`` is not a known source.
        UnreadableFile: the file is missing, of another type, empty, has no rows, is
            not valid CSV/Parquet, or none of its rows has the header's width.
        MissingColumn: a column the contract requires, or a declared key, is not in the file.
        UnknownParentTable: a declared foreign key's parent table or column is not in the lake,
            or a contract's parent table lacks the column.
        IngestError: the table name or a key declaration is invalid.
    """
    say = progress or _silent
    request = _request(path, pseudonym_key, table, contract, primary_key, foreign_keys, today)
    say(f"reading {request.file_name}")
    with _HeadStart(request) as head_start:
        seen = _look_up(lake, request, head_start)  # 1
        if seen.earlier is not None:
            return _unchanged(lake, request, seen, say)
        checking = head_start.taken(seen.fp)  # 2 and 3, done while 1 ran, if the guess held
        if checking is None:
            reader = choose_reader(request.path, seen.fp.encoding, request.source)
            rows = _read(request, seen, reader)  # 2
            checking = _plan(request, seen, rows, say)  # 3
        report = _check_and_write(lake, request, seen, checking, say)  # 4
        if report is None:  # the fast reader stopped at a row it does not take: start over
            rows = _read(request, seen, Reader.CSV_CAREFUL)  # 2
            checking = _plan(request, seen, rows, say)  # 3
            report = _check_and_write(lake, request, seen, checking, say)  # 4
            assert report is not None, "the careful reader reads every row"
    return _finished(lake, request, seen, report, say)  # 5


@dataclass(frozen=True)
class _Request:
    """What one ingestion was asked to do."""

    path: Path
    file_name: str  # the file's name as shown and logged (never a CPR number)
    pseudonym_key: str
    table: str
    contract: str | None  # the contract's name, as asked for
    source: Contract | None  # the contract itself
    primary_key: str | None
    foreign_keys: Sequence[str]  # "COLUMN:PARENT_TABLE.PARENT_COLUMN", as asked for
    today: date | None


@dataclass(frozen=True)
class _Seen:
    """What step 1 found: the file, the lake, and whether the ingestion is done already."""

    fp: Fingerprint
    tables: list[str]  # the tenant's lake tables (parents for foreign keys)
    content_key: str  # what decides the ingestion's result (see _content_key)
    earlier: IngestReport | None  # the report of the same ingestion, when nothing changed


def _silent(_message: str) -> None:
    """No progress to show."""


def _request(
    path: Path,
    pseudonym_key: str,
    table: str,
    contract: str | None,
    primary_key: str | None,
    foreign_keys: Sequence[str],
    today: date | None,
) -> _Request:
    """The ingestion asked for, its table name and contract checked.

    Raises:
        IngestError: the table name is invalid.
        UnknownContract: no contract of that name.
    """
    _check_table_name(table)
    source = get_contract(contract) if contract is not None else None
    path = Path(path)
    return _Request(
        path, safe_name(path.name), pseudonym_key, table, contract, source, primary_key,
        foreign_keys, today,
    )  # fmt: skip


def _look_up(lake: Lake, request: _Request, head_start: _HeadStart) -> _Seen:
    """Step 1: fingerprint the file (on a worker thread) while the lake is read: its
    tables, the parents' content hashes, and the report of the same ingestion done
    before, if nothing changed since. Starts ``head_start`` once the tables are known,
    and hands it the parent keys once it is known that the file is to be written.

    Raises:
        UnreadableFile: the file is missing, of another type, or not text (reported
            before any error reading the lake).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:  # the file is hashed while the lake is read
        hashing = pool.submit(fingerprint, request.path)
        try:
            with _reading(lake) as con:
                tables = _tenant_tables(con)
                head_start.begin(tables)
                parents = _parent_hashes(con, request, tables)
                fp = hashing.result()
                content_key = _content_key(fp, request, parents)
                earlier = None
                if con is not None:
                    earlier = unchanged_report(
                        lake, request.table, content_key, con, head_start.close
                    )
                    if earlier is None:
                        head_start.start_parent_keys(con)  # what the checker needs first
        except BaseException:
            hashing.result()  # a file that cannot be read is the error to report first
            raise
    return _Seen(fp, tables, content_key, earlier)


def _read(request: _Request, seen: _Seen, reader: Reader) -> Rows:
    """Step 2: the file's rows as text, read by ``reader``: block by block (the first
    batch now), or whole.

    Raises:
        UnreadableFile: not valid CSV/Parquet, a header and no rows, or no row as wide
            as the header.
    """
    if reader is Reader.CSV_STREAM:
        streamed = stream_csv(request.path, seen.fp.encoding, BATCH_ROWS, request.file_name)
        if streamed is not None:
            return streamed
        reader = Reader.CSV_CAREFUL  # the fast reader does not take the first rows
    extract = load_extract(request.path, seen.fp, fast_reader=reader is not Reader.CSV_CAREFUL)
    refuse_malformed(extract, request.file_name)
    return extract


def _plan(request: _Request, seen: _Seen, rows: Rows, say: Progress) -> Checking:
    """Step 3: plan the checks for ``rows`` and start checking them on worker threads.

    Rows read whole are announced here, with their count, before their checks start;
    streamed rows when writing starts (see :func:`_check_and_write`).

    Raises:
        MissingColumn: a column the contract requires, or a declared key, is missing.
        UnknownParentTable: a declared foreign key's parent table is not in the lake.
        IngestError: columns clash, or a key declaration is invalid.
    """
    try:
        requested = [parse_foreign_key(s, rows.names, seen.tables) for s in request.foreign_keys]
        plan, renames, declared = plan_columns(
            rows.names, rows.sample, request.source, request.primary_key, requested,
            request.file_name, request.today,
        )  # fmt: skip
        batches = (batch.renamed(renames) for batch in rows.batches(BATCH_ROWS))
        if rows.rows is not None:
            say(f"checking {rows.rows:,} rows and writing them to {request.table}")
        return Checking(
            rows, batches, plan, declared, seen.tables, request.table, request.pseudonym_key,
            request.today,
        )  # fmt: skip
    except BaseException:
        rows.close()  # no checking to stop the reading
        raise


def _check_and_write(
    lake: Lake, request: _Request, seen: _Seen, checking: Checking, say: Progress
) -> IngestReport | None:
    """Step 4: write the checked rows as the table, with its keys, quarantine and
    ingest-log row, in one transaction; stops ``checking``.

    Returns:
        The report; None where the fast reader stopped at a row it does not take: then
        nothing is written, and the careful reader must read the file.

    Raises:
        UnknownParentTable: a foreign key's parent table has no such column.
    """
    table, fp = request.table, seen.fp
    with closing(checking):
        if checking.rows.rows is None:  # streamed (see _plan)
            say(f"checking the rows of {request.file_name} and writing them to {table}")
        plan, totals, hashes = checking.plan, checking.totals, checking.hashes
        relations = [
            Relation(table, fk.column, fk.parent_table, fk.parent_column)
            for fk in (*plan.foreign_keys, *checking.own)
        ]
        ingest_id = uuid.uuid4().hex[:12]
        at = datetime.now(UTC).replace(tzinfo=None)
        with lake.transaction() as tx:
            checking.read_parent_keys(tx.con)
            tx.drop_relations(table)
            tx.add_relations(relations)
            forget_same_file(tx, table, fp.sha256)
            written = tx.replace_table_batches(
                table, checking.ready, plan.primary_key, uncompressed=plan.cpr_columns
            )
            if checking.refused:
                tx.abandon()
                return None
            dangling = dangling_self_references(tx.con, table, checking.own)
            if dangling:  # leaving the block with an error rolls the transaction back
                fk = dangling[0]
                raise IngestError(
                    f"foreign key {fk}: some rows point at {fk.parent_column} values that no "
                    f"row of {table} holds; nothing was ingested"
                )
            say(f"recording {table}'s keys, quarantine and hash")
            report = IngestReport(
                table=table,
                rows_in_file=totals.rows,
                ingested=totals.rows - totals.failed,
                quarantined=totals.failed,
                reasons=totals.reasons(),
                pseudonymised_columns=plan.cpr_columns,
                contract=request.contract,
                primary_key=plan.primary_key,
                relations=[str(r) for r in relations],
                unchecked_foreign_keys=[str(fk) for fk in checking.unchecked],
                ingest_id=ingest_id,
                file_sha256=fp.sha256,
                table_hash=(
                    hash_of(table, table_columns(tx.con, table), written, hashes.total)
                    if hashes.rows == written
                    else tx.table_hash(table)
                ),
            )
            quarantine = totals.quarantine()
            if quarantine is not None:
                tx.append_internal(
                    QUARANTINE_PREFIX + table,
                    stamped(quarantine, ingest_id, at, request.file_name),
                )
            row = log_row(
                report, request.file_name, checking.rows.file_format, at, seen.content_key
            )
            tx.append_internal(INGEST_LOG, row)
    return report


def _finished(
    lake: Lake, request: _Request, seen: _Seen, report: IngestReport, say: Progress
) -> IngestReport:
    """Step 5: log the ingestion in the tenant's audit log."""
    lake.log("lake.ingest", **_audit_details(report, request.file_name, seen.fp))
    if report.quarantined:
        say(f"{report.quarantined:,} rows quarantined; see the reasons")
    return report


def _unchanged(lake: Lake, request: _Request, seen: _Seen, say: Progress) -> IngestReport:
    """The end of an ingestion that found the file in the lake already (step 1)."""
    assert seen.earlier is not None
    say(f"{request.file_name} is in {request.table} already, checked the same way; nothing changed")
    lake.log("lake.ingest.unchanged", **_audit_details(seen.earlier, request.file_name, seen.fp))
    return seen.earlier


class _HeadStart:
    """Steps 2 and 3 begun while step 1 fingerprints the file, on the guess that it is a
    UTF-8 CSV file whose rows can be streamed (most are): reading, coding and checking
    the first batches overlap the fingerprint. Nothing is written until step 1 says
    the file is new and :meth:`taken` that the guess held; else the work is dropped.

    An error on the way is the one steps 2 and 3 raise reading the file as guessed:
    kept, and raised by :meth:`taken` once the fingerprint confirms the guess (so a file
    that cannot be read, or one in the lake already, is reported as such first).
    """

    def __init__(self, request: _Request) -> None:
        self.request = request
        self.checking: Checking | None = None
        self.error: Exception | None = None

    def __enter__(self) -> _HeadStart:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def begin(self, tables: list[str]) -> None:
        """Start reading and checking, where the file may be a CSV file to stream."""
        request = self.request
        if request.path.suffix.lower() not in CSV_SUFFIXES or not request.path.is_file():
            return
        guess = Fingerprint(sha256="", size=0, encoding=GUESSED_ENCODING)
        seen = _Seen(guess, tables, content_key="", earlier=None)
        try:
            reader = choose_reader(request.path, GUESSED_ENCODING, request.source)
            if reader is Reader.CSV_STREAM:
                rows = stream_csv(request.path, GUESSED_ENCODING, BATCH_ROWS, request.file_name)
                self.checking = _plan(request, seen, rows, _silent) if rows is not None else None
        except Exception as exc:  # raised by taken() if the guess holds
            self.error = exc

    def start_parent_keys(self, con: duckdb.DuckDBPyConnection) -> None:
        """Hand the checking the parent keys, read on ``con`` (see
        :meth:`Checking.start_parent_keys`)."""
        if self.checking is not None:
            self.checking.start_parent_keys(con)

    def taken(self, fp: Fingerprint) -> Checking | None:
        """The checking begun, when the file is as guessed (now that ``fp`` says what it
        is); None when there is none or the guess was wrong.

        Raises:
            UnreadableFile, MissingColumn, UnknownParentTable, IngestError: what reading
                and planning the file raised (the guess held: so does reading it again).
        """
        if fp.encoding != GUESSED_ENCODING:
            self.close()
            return None
        if self.error is not None:
            raise self.error
        checking, self.checking = self.checking, None
        return checking

    def close(self) -> None:
        """Stop the checking begun, if not taken."""
        if self.checking is not None:
            self.checking.close()
            self.checking = None


def _check_table_name(table: str) -> None:
    if not table or not table.strip() or table.startswith(INTERNAL_PREFIX):
        raise IngestError(
            f"invalid table name {table!r}: give a name that is not empty and does not start "
            f"with {INTERNAL_PREFIX!r} (kept for the lake's catalogue)"
        )


@contextmanager
def _reading(lake: Lake) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the lake; None when there is no lake yet."""
    if not lake.path.exists():
        yield None
        return
    with lake.connect(read_only=True) as con:
        yield con


def _tenant_tables(con: duckdb.DuckDBPyConnection | None) -> list[str]:
    """The lake's tenant tables (as :meth:`Lake.tables` names them), on ``con``."""
    if con is None:
        return []
    names = sorted(str(row[0]) for row in con.execute("SHOW TABLES").fetchall())
    return [n for n in names if not n.startswith(INTERNAL_PREFIX)]


def _parent_hashes(
    con: duckdb.DuckDBPyConnection | None, request: _Request, tables: Sequence[str]
) -> dict[str, str]:
    """Content hashes of the tables in the lake that the ingestion's references may be
    checked against."""
    source = request.source
    parents = {fk.parent_table for fk in source.foreign_keys} if source else set()
    parents |= {t for t in tables for spec in request.foreign_keys if f":{t}." in spec}
    present = sorted(t for t in parents & set(tables) if t != request.table)
    return {t: table_hash(con, t) for t in present} if con is not None else {}


def _content_key(fp: Fingerprint, request: _Request, parents: dict[str, str]) -> str:
    """What decides an ingestion's result: the file, the table, the checks, and the
    contents of the parent tables its references may be checked against (``parents``,
    see :func:`_parent_hashes`)."""
    body = {
        "file": fp.sha256,
        "table": request.table,
        "contract": request.source.source if request.source else None,
        "primary_key": request.primary_key,
        "foreign_keys": list(request.foreign_keys),
        "parents": parents,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _audit_details(report: IngestReport, file_name: str, fp: Fingerprint) -> dict[str, object]:
    return {
        "table": report.table,
        "contract": report.contract,
        "file": file_name,
        "file_sha256": fp.sha256,
        "file_bytes": fp.size,
        "rows_in_file": report.rows_in_file,
        "ingested": report.ingested,
        "quarantined": report.quarantined,
        "ingest_id": report.ingest_id,
        "table_hash": report.table_hash,
        "hash_method": HASH_METHOD,
    }


__all__ = ["ingest_file"]
