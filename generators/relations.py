"""Key relations between the tables of a lake.

A relation says that every value of ``child_table.child_column`` is a key of
``parent_table.parent_column``. The twin builder, the lake catalogue and the
register simulator all describe a schema with the same small type, so a lake
built by ingestion and one built by the simulator look the same to the rest of
the test-bench.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    """A foreign key: ``child_table.child_column`` references ``parent_table.parent_column``."""

    child_table: str  # table holding the reference, e.g. "lpr_a_diagnose"
    child_column: str  # its referencing column, e.g. "dw_ek_kontakt"
    parent_table: str  # table holding the key, e.g. "lpr_a_kontakt"
    parent_column: str  # the key column, e.g. "dw_ek_kontakt"

    def __str__(self) -> str:
        return f"{self.child_table}.{self.child_column} -> {self.parent_table}.{self.parent_column}"
