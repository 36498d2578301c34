"""Validation specs: what an SME asks the test-bench to validate, and its cohort.

>>> from testbench.spec import load_spec, load_cohort
>>> spec = load_spec("examples/hip-fracture-home-care/spec.yaml")
>>> cohort = load_cohort(spec, lake.query)          # or partial(query_frames, tables)
>>> model = spec.build_model()                       # unfitted scikit-learn estimator

:mod:`~.schema` defines the spec, :mod:`~.loader` reads it from YAML,
:mod:`~.estimator` builds the SME's model from its source and :mod:`~.cohort`
runs and checks the cohort SQL. Every problem is a
:class:`~testbench.errors.SpecError` naming the field.
"""

from testbench.spec.cohort import CohortData, load_cohort, resolve_cohort, run_cohort_sql
from testbench.spec.errors import SpecError
from testbench.spec.loader import load_spec
from testbench.spec.schema import TASKS, EvaluationSettings, ValidationSpec

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
