"""Ingesting a real extract (CSV or Parquet) into a tenant's lake: checked against its
source's contract, CPR numbers replaced by keyed pseudonyms, refused rows quarantined.

:func:`ingest_file` runs the steps (:mod:`.pipeline`); each step's work sits in a module
named for it:

- :mod:`.fingerprints`: what identifies a file's contents (step 1);
- :mod:`.readers`: choosing a reader and reading the rows as text, streamed or whole
  (step 2), with :mod:`.csv_stream` for a CSV file read block by block,
  :mod:`.careful_reader` for files the fast reader does not take and
  :mod:`.coded_columns` for the rows held as codes into their distinct values;
- :mod:`.planning`: which checks apply to which column (step 3), from the source's
  :mod:`.contracts` or the :mod:`.column_types` inferred from the values;
- :mod:`.value_checks` (one distinct value at a time), :mod:`.row_checks` (values of a
  row together), :mod:`.key_checks` (primary and foreign keys) and :mod:`.pseudonyms`
  (CPR numbers), run batch by batch on worker threads by :mod:`.batch_checking` (step 4);
- :mod:`.quarantine`: the lake's record of ingestions and the rows they refused;
- :mod:`.errors`: what ingestion raises.
"""

from testbench.lake.ingest.column_types import ColumnType
from testbench.lake.ingest.contracts import (
    CONTRACTS,
    ColumnRule,
    Contract,
    ForeignKey,
    get_contract,
)
from testbench.lake.ingest.errors import (
    IngestError,
    MissingColumn,
    UnknownContract,
    UnknownParentTable,
    UnreadableFile,
)
from testbench.lake.ingest.pipeline import ingest_file
from testbench.lake.ingest.quarantine import (
    IngestReport,
    forget_ingests,
    quarantined_rows,
)
from testbench.lake.ingest.row_checks import REASON, SOURCE_ROW

__all__ = [
    "CONTRACTS",
    "REASON",
    "SOURCE_ROW",
    "ColumnRule",
    "ColumnType",
    "Contract",
    "ForeignKey",
    "IngestError",
    "IngestReport",
    "MissingColumn",
    "UnknownContract",
    "UnknownParentTable",
    "UnreadableFile",
    "forget_ingests",
    "get_contract",
    "ingest_file",
    "quarantined_rows",
]
