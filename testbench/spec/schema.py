"""The validation spec an SME writes: what to predict, on which cohort, with which model.

A spec is a YAML file beside the SME's model code (see DESIGN.md, "Validation spec"):

.. code-block:: yaml

    name: home-care-after-hip-fracture
    task: binary_classification
    cohort: |
      SELECT ... FROM lpr_a_kontakt k JOIN bef b USING (pnr) ...
    target: needs_home_care_1y
    id_column: person_id
    subgroups: [sex, age_band, region]
    model: model.py:build_model
    evaluation: {folds: 5, bootstrap: 500, seed: 7}

:func:`testbench.spec.load_spec` reads it into a :class:`ValidationSpec`, which also
carries the text of the spec and model files, so the object is self-contained: it can
be pickled to a Ray worker on another machine and still build the model there.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sklearn.base import BaseEstimator

from testbench.spec.estimator import build_estimator

Task = Literal["binary_classification", "regression"]
TASKS: tuple[str, ...] = ("binary_classification", "regression")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# "file.py:function": a Python file in the spec's folder (or below it) and a function name.
MODEL_REFERENCE = re.compile(r"^(?P<file>[\w./-]+\.py):(?P<function>[A-Za-z_]\w*)$")


class EvaluationSettings(BaseModel):
    """How a validation run evaluates the model; every field has a sensible default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Cross-validation folds on the training data.
    folds: int = Field(default=5, ge=2, le=20)
    # Bootstrap replicates for confidence intervals; 0 turns intervals off.
    bootstrap: int = Field(default=500, ge=0, le=10_000)
    # Seed for splits, folds and bootstrap, so a rerun gives the same numbers.
    seed: int = Field(default=7, ge=0, le=2**32 - 1)
    # Share of the real cohort held out for testing when no twin hold-out defines it.
    test_share: float = Field(default=0.2, ge=0.05, le=0.5)
    # Probability cut-off for sensitivity and specificity (binary tasks).
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    # Wall-clock limit, in minutes, for each sandboxed batch of fits (a regime's folds and
    # final fit); the same CPU time. Generous by default: it stops a runaway, not a slow model.
    timeout_minutes: int = Field(default=60, ge=1, le=24 * 60)


class ValidationSpec(BaseModel):
    """A loaded, checked validation spec; build one with :func:`~testbench.spec.load_spec`.

    The first block of fields is what the SME writes in YAML; the last four are filled
    in by the loader (a spec file that sets them is refused).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Short slug naming the model and its intended use, e.g. home-care-after-hip-fracture.
    name: str
    # Intended use in a sentence or two (TRIPOD+AI item 3); shown on the model card.
    description: str | None = None
    # What the model predicts: a 0/1 outcome or a number.
    task: Task
    # DuckDB SQL over the lake's tables returning one row per unit.
    cohort: str
    # Outcome column of the cohort.
    target: str
    # Model inputs; None means every cohort column but target, id column and subgroups.
    features: list[str] | None = None
    # Column identifying the unit (person); must be unique in the cohort.
    id_column: str
    # Columns to report performance by (e.g. sex, age band, region).
    subgroups: list[str] = Field(default_factory=list)
    # "file.py:function"; the function returns an unfitted scikit-learn estimator.
    model: str
    # Folds, bootstrap, seed, test share, threshold.
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    # Who asked for the run (the airlock refuses an approver who is also the requester).
    requested_by: str | None = None

    # Folder holding the spec file; the model file is resolved against it.
    folder: Path
    # Text of the spec file as read (it and model_source make up the spec's hash).
    spec_source: str = Field(repr=False)
    # Text of the model file, read once, so a worker can build the model without the file.
    model_source: str = Field(repr=False)
    # Line of the spec file holding the cohort SQL's first line (for SQL error messages).
    cohort_line: int | None = None

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.fullmatch(value) or len(value) > 80:
            raise ValueError(
                f"{value!r} is not a slug; use lowercase letters, digits and single hyphens, "
                "e.g. home-care-after-hip-fracture"
            )
        return value

    @field_validator("task", mode="before")
    @classmethod
    def _known_task(cls, value: object) -> object:
        if value not in TASKS:
            raise ValueError(f"unknown task {value!r}; use one of: {', '.join(TASKS)}")
        return value

    @field_validator("cohort")
    @classmethod
    def _has_sql(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the cohort SQL is empty; write a SELECT returning one row per unit")
        return value

    @field_validator("target", "id_column")
    @classmethod
    def _column_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give a column name of the cohort")
        return value

    @field_validator("features", "subgroups")
    @classmethod
    def _unique_columns(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        twice = sorted({c for c in value if value.count(c) > 1})
        if twice:
            raise ValueError(f"columns listed twice: {', '.join(twice)}")
        return value

    @field_validator("model")
    @classmethod
    def _model_reference(cls, value: str) -> str:
        match = MODEL_REFERENCE.fullmatch(value)
        if match is None:
            raise ValueError(f"{value!r} is not FILE.py:FUNCTION; write e.g. model.py:build_model")
        file = PurePosixPath(match["file"])
        if file.is_absolute() or ".." in file.parts:
            raise ValueError(
                f"{value!r} points outside the spec's folder; put the model file beside the spec"
            )
        return value

    @model_validator(mode="after")
    def _roles_do_not_clash(self) -> ValidationSpec:
        if self.target == self.id_column:
            raise ValueError("target and id_column name the same column; they must differ")
        roles = {"target": self.target, "id_column": self.id_column}
        for role, column in roles.items():
            if column in (self.features or []):
                raise ValueError(f"features include the {role} {column!r}; remove it from features")
            if column in self.subgroups:
                raise ValueError(f"subgroups include the {role} {column!r}; remove it")
        return self

    # -- derived values ---------------------------------------------------------------------

    @property
    def model_file(self) -> Path:
        """Path of the model file (the part of ``model`` before the colon)."""
        return self.folder / self.model.rsplit(":", 1)[0]

    @property
    def model_function(self) -> str:
        """Name of the function in the model file that builds the estimator."""
        return self.model.rsplit(":", 1)[1]

    def hash(self) -> str:
        """SHA-256 of the spec file's bytes followed by the model file's bytes.

        The same value as ``cat spec.yaml model.py | sha256sum``; evidence records it
        so a published result names exactly the spec and code that produced it.
        """
        digest = hashlib.sha256(self.spec_source.encode())
        digest.update(self.model_source.encode())
        return digest.hexdigest()

    def build_model(self) -> BaseEstimator:
        """Run the spec's model function and return the unfitted estimator it builds.

        Works from ``model_source`` (read when the spec was loaded), so it needs no
        file and runs the same on a Ray worker on another machine.

        Returns:
            A fresh, unfitted scikit-learn estimator or pipeline.

        Raises:
            SpecError: the model file does not compile or import, the function is
                missing or raises, or it returns something that is not an unfitted
                estimator fit for the task (a classifier with ``predict_proba`` for
                binary classification, a regressor for regression).
        """
        return build_estimator(self.model_source, self.model_file, self.model_function, self.task)
