"""Synthetic twins of a whole lake, built from per-table synthesizers.

Use :class:`TwinBuilder` (``fit`` on the real tables, then ``sample``); the other names
are what callers of the builder need around it: the synthesizer kinds, the metadata SDV
reads, the holdout split, and the table graph (parent-first order, the person table).
"""

from generators.twin.base import TablePlan, TableTiming
from generators.twin.builder import TwinBuilder
from generators.twin.graph import find_unit_table, topological_order, unit_of_rows
from generators.twin.holdout import split_by_units, split_holdout
from generators.twin.metadata import build_metadata
from generators.twin.rare import RareCategories
from generators.twin.synthesizers import SYNTHESIZERS, SDVTableSynthesizer, TableSynthesizer

__all__ = [
    "SYNTHESIZERS",
    "RareCategories",
    "SDVTableSynthesizer",
    "TablePlan",
    "TableSynthesizer",
    "TableTiming",
    "TwinBuilder",
    "build_metadata",
    "find_unit_table",
    "split_by_units",
    "split_holdout",
    "topological_order",
    "unit_of_rows",
]
