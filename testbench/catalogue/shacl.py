"""Check a catalogue graph against the HealthDCAT-AP shapes shipped beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

SHAPES = Path(__file__).parent / "shapes" / "healthdcat-ap.shacl.ttl"


@dataclass(frozen=True)
class ShaclResult:
    """pySHACL's verdict on one graph."""

    conforms: bool  # no sh:Violation (warnings are allowed)
    violations: int  # results of severity sh:Violation
    warnings: int  # results of severity sh:Warning
    report: str  # pySHACL's text report


def validate_catalogue(graph: Graph, shapes: Path = SHAPES) -> ShaclResult:
    """Validate ``graph`` with pySHACL (no inference, no network)."""
    from pyshacl import validate
    from rdflib.namespace import SH

    shapes_graph = Graph().parse(shapes, format="turtle")
    _, results, text = validate(
        graph, shacl_graph=shapes_graph, inference="none", allow_warnings=True
    )
    violations = len(list(results.subjects(SH.resultSeverity, SH.Violation)))
    warnings = len(list(results.subjects(SH.resultSeverity, SH.Warning)))
    return ShaclResult(violations == 0, violations, warnings, str(text))
