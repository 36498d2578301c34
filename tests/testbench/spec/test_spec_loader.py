"""Loading a spec: defaults, and one clear line naming the field for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbench.errors import TestbenchError
from testbench.spec import ValidationSpec, load_spec
from testbench.spec.errors import SpecError


def _error(path: Path) -> str:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line (the CLI prints them as is)"
    return message


def test_valid_spec_loads_with_defaults(write_spec) -> None:
    path = write_spec()
    spec = load_spec(path)
    assert isinstance(spec, ValidationSpec)
    assert (spec.name, spec.task, spec.target, spec.id_column) == (
        "test-spec",
        "binary_classification",
        "outcome",
        "person_id",
    )
    assert spec.features is None and spec.subgroups == ["sex"]
    ev = spec.evaluation
    assert (ev.folds, ev.bootstrap, ev.seed, ev.test_share, ev.threshold) == (5, 500, 7, 0.2, 0.5)
    assert spec.folder == path.parent.resolve()
    assert spec.model_source == (path.parent / "model.py").read_text()
    assert spec.cohort.startswith("SELECT pnr AS person_id,\n")
    assert spec.cohort_line == 4  # the SQL starts on the line after "cohort: |"


def test_a_folder_means_its_spec_yaml(write_spec) -> None:
    path = write_spec()
    assert load_spec(path.parent).name == "test-spec"


def test_evaluation_settings_are_read(write_spec) -> None:
    path = write_spec(extra="evaluation: {folds: 10, bootstrap: 0, threshold: 0.3}\n")
    ev = load_spec(path).evaluation
    assert (ev.folds, ev.bootstrap, ev.seed, ev.threshold) == (10, 0, 7, 0.3)


def test_spec_error_is_a_testbench_error() -> None:
    assert issubclass(SpecError, TestbenchError)


def test_missing_spec_file(tmp_path: Path) -> None:
    message = _error(tmp_path / "nope.yaml")
    assert "nope.yaml" in message and "not found" in message


def test_yaml_syntax_error_names_the_line(write_spec) -> None:
    path = write_spec(replace={"subgroups: [sex]": "subgroups: [sex"})
    message = _error(path)
    assert message.startswith("spec.yaml line 12:") and "not valid YAML" in message


def test_bad_indentation_names_its_line(write_spec) -> None:
    path = write_spec(replace={"id_column: person_id": "  id_column: person_id"})
    message = _error(path)
    assert message.startswith("spec.yaml line 10") and "not valid YAML" in message


def test_spec_must_be_a_mapping(write_spec) -> None:
    assert "YAML mapping" in _error(write_spec(text="- name\n- task\n"))


def test_unknown_task_lists_the_allowed_ones(write_spec) -> None:
    path = write_spec(replace={"task: binary_classification": "task: clustering"})
    message = _error(path)
    assert "line 2" in message and "field 'task'" in message
    assert "unknown task 'clustering'" in message
    assert "binary_classification, regression" in message


def test_unknown_field_is_refused(write_spec) -> None:
    message = _error(write_spec(extra="colour: blue\n"))
    assert "unknown field 'colour'" in message and "line 13" in message
    assert "id_column" in message  # lists the fields a spec has


def test_unknown_evaluation_field_is_refused(write_spec) -> None:
    message = _error(write_spec(extra="evaluation:\n  fold: 3\n"))
    assert "unknown field 'evaluation.fold'" in message and "line 14" in message
    assert "folds" in message


@pytest.mark.parametrize("field", ["model_source", "folder", "spec_source", "cohort_line"])
def test_loader_fields_cannot_be_set_in_the_file(write_spec, field: str) -> None:
    assert f"unknown field '{field}'" in _error(write_spec(extra=f"{field}: x\n"))


def test_missing_field_is_named(write_spec) -> None:
    message = _error(write_spec(replace={"target: outcome": None}))
    assert "field 'target' is missing" in message


def test_field_given_twice(write_spec) -> None:
    message = _error(write_spec(extra="target: other\n"))
    assert "'target' is given twice" in message and "line 13" in message and "line 9" in message


def test_name_must_be_a_slug(write_spec) -> None:
    message = _error(write_spec(replace={"name: test-spec": "name: Test Spec"}))
    assert "field 'name'" in message and "slug" in message


@pytest.mark.parametrize(("folds", "word"), [(1, "greater than or equal to 2"), (21, "20")])
def test_folds_out_of_range(write_spec, folds: int, word: str) -> None:
    message = _error(write_spec(extra=f"evaluation: {{folds: {folds}}}\n"))
    assert "field 'evaluation.folds'" in message and word in message
    assert f"(got {folds})" in message


def test_several_mistakes_are_all_named(write_spec) -> None:
    path = write_spec(
        replace={"name: test-spec": "name: Bad Name", "task: binary_classification": "task: x"}
    )
    message = _error(path)
    assert "field 'name'" in message and "field 'task'" in message


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("model.py", "is not FILE.py:FUNCTION"),
        ("model.py:build-model", "is not FILE.py:FUNCTION"),
        ("../model.py:build_model", "outside the spec's folder"),
        ("/tmp/model.py:build_model", "outside the spec's folder"),
    ],
)
def test_malformed_model_reference(write_spec, reference: str, expected: str) -> None:
    message = _error(write_spec(replace={"model: model.py:build_model": f"model: {reference}"}))
    assert "field 'model'" in message and expected in message


def test_missing_model_file(write_spec) -> None:
    path = write_spec(replace={"model: model.py:build_model": "model: nope.py:build_model"})
    message = _error(path)
    assert "field 'model'" in message and "'nope.py' not found" in message


def test_target_among_features_is_refused(write_spec) -> None:
    message = _error(write_spec(extra="features: [age, outcome]\n"))
    assert "features include the target 'outcome'" in message


def test_repeated_feature_is_refused(write_spec) -> None:
    message = _error(write_spec(extra="features: [age, age]\n"))
    assert "field 'features'" in message and "listed twice: age" in message


def test_empty_cohort_sql_is_refused(write_spec) -> None:
    text = "\n".join(
        "cohort: ' '" if line.startswith("cohort") else line
        for line in write_spec().read_text().splitlines()
        if not line.startswith(("  SELECT", "         ", "  FROM"))
    )
    assert "the cohort SQL is empty" in _error(write_spec(text=text))


def test_loading_never_runs_the_model_file(write_spec, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    model = f"open({str(marker)!r}, 'w').close()\n\ndef build_model():\n    return None\n"
    load_spec(write_spec(model=model))
    assert not marker.exists()
