"""Validation specs: what an SME asks the test-bench to validate, and its cohort.

>>> from testbench.spec import load_spec, load_cohort
>>> spec = load_spec("examples/hip-fracture-home-care/spec.yaml")
>>> cohort = load_cohort(spec, lake.query)          # or partial(query_frames, tables)
>>> model = spec.build_model()                       # unfitted scikit-learn estimator

:mod:`~.schema` defines the spec, :mod:`~.loader` reads it from YAML,
:mod:`~.estimator` builds the SME's model from its source and :mod:`~.cohort`
runs and checks the cohort SQL. Every problem is a
:class:`~testbench.spec.errors.SpecError` naming the field.
"""

from __future__ import annotations

import importlib
from typing import Any

# Where each public name lives. Imported on first use: the sandbox imports
# ``testbench.spec.estimator`` to build the SME's model, and must not pull in the cohort
# side (DuckDB, the lake, the ingestion contracts) that it neither needs nor can see.
_HOMES = {
    "CohortData": "cohort",
    "load_cohort": "cohort",
    "resolve_cohort": "cohort",
    "run_cohort_sql": "cohort",
    "SpecError": "errors",
    "load_spec": "loader",
    "TASKS": "schema",
    "EvaluationSettings": "schema",
    "ValidationSpec": "schema",
}

__all__ = [
    "TASKS",
    "CohortData",
    "EvaluationSettings",
    "SpecError",
    "ValidationSpec",
    "load_cohort",
    "load_spec",
    "resolve_cohort",
    "run_cohort_sql",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
