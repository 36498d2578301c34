"""Synthetic twins of a whole lake, built from per-table synthesizers."""

from generators.twin.builder import TwinBuilder
from generators.twin.synthesizers import SYNTHESIZERS, SDVTableSynthesizer, TableSynthesizer

__all__ = ["SYNTHESIZERS", "SDVTableSynthesizer", "TableSynthesizer", "TwinBuilder"]
