"""A spec folder factory: a spec.yaml and its model.py written to a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SPEC = """\
name: test-spec
task: binary_classification
cohort: |
  SELECT pnr AS person_id,
         age,
         sex,
         outcome
  FROM people
target: outcome
id_column: person_id
subgroups: [sex]
model: model.py:build_model
"""

MODEL = """\
from sklearn.linear_model import LogisticRegression


def build_model():
    return LogisticRegression()
"""

WriteSpec = Callable[..., Path]


@pytest.fixture
def write_spec(tmp_path: Path) -> WriteSpec:
    """Write ``spec.yaml`` (default SPEC with ``replace`` edits) and ``model.py``; return spec path.

    ``replace`` maps a line of SPEC to its replacement (``None`` deletes it); ``extra`` is
    appended. ``model=None`` writes no model file.
    """

    def write(
        replace: dict[str, str | None] | None = None,
        extra: str = "",
        model: str | None = MODEL,
        text: str | None = None,
    ) -> Path:
        if text is None:
            lines = []
            for line in SPEC.splitlines():
                new = (replace or {}).get(line, line)
                if new is not None:
                    lines.append(new)
            text = "\n".join(lines) + "\n" + extra
        folder = tmp_path / "spec"
        folder.mkdir(exist_ok=True)
        (folder / "spec.yaml").write_text(text)
        if model is not None:
            (folder / "model.py").write_text(model)
        return folder / "spec.yaml"

    return write
