"""Reading a spec file: YAML, field checks and the model file, with one-line errors.

Every problem is reported as a :class:`~testbench.spec.errors.SpecError` whose message
names the file, the line where YAML knows it, and the field, and says what to do.
Loading never runs the SME's code: the model file is read and compiled only when
:meth:`ValidationSpec.build_model` is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from testbench.spec.errors import SpecError
from testbench.spec.schema import EvaluationSettings, ValidationSpec

SPEC_FILE = "spec.yaml"  # looked for when a folder is given
# Fields the loader fills in; a spec file may not set them.
LOADER_FIELDS = ("folder", "spec_source", "model_source", "cohort_line")
AUTHOR_FIELDS = tuple(f for f in ValidationSpec.model_fields if f not in LOADER_FIELDS)
EVALUATION_FIELDS = tuple(EvaluationSettings.model_fields)

Lines = dict[tuple[str, ...], int]  # field path -> 1-based line of its key in the file


def load_spec(path: str | Path) -> ValidationSpec:
    """Read and check a validation spec and read its model file.

    Args:
        path: The spec's YAML file, or a folder holding ``spec.yaml``.

    Returns:
        The spec, with the spec and model files' text inside (see :class:`ValidationSpec`).

    Raises:
        SpecError: the file is missing or not YAML (with the line), a field is missing,
            unknown or invalid (the message names it), or the model file is missing.
    """
    path = Path(path)
    if path.is_dir():
        path = path / SPEC_FILE
    if not path.is_file():
        raise SpecError(f"spec file {str(path)!r} not found; give the path to a spec.yaml")
    text = _read_text(path, "spec file")
    data, lines, cohort_line = _parse_yaml(text, path.name)

    for key in data:
        if key not in AUTHOR_FIELDS:
            raise SpecError(
                f"{_at(path.name, lines, (str(key),))}unknown field {key!r}; "
                f"a spec has: {', '.join(AUTHOR_FIELDS)}"
            )
    try:
        spec = ValidationSpec(
            **data,
            folder=path.parent.resolve(),
            spec_source=text,
            model_source="",  # read below, once the reference is known to be well formed
            cohort_line=cohort_line,
        )
    except ValidationError as exc:
        raise SpecError(_describe(exc, path.name, lines)) from None
    model_file = spec.model_file
    if not model_file.is_file():
        raise SpecError(
            f"{_at(path.name, lines, ('model',))}field 'model': file {spec.model.split(':')[0]!r} "
            f"not found beside the spec (looked for {model_file}); put the model file there"
        )
    return spec.model_copy(update={"model_source": _read_text(model_file, "model file")})


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{what} {path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def _parse_yaml(text: str, name: str) -> tuple[dict[str, Any], Lines, int | None]:
    """The spec's mapping, the line of each key, and the line the cohort SQL starts on."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise SpecError(
            f"{name}{line}: not valid YAML ({exc.problem or exc.context}); fix the syntax there"
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{name}: not valid YAML ({exc}); fix the syntax") from None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise SpecError(
            f"{name}: a spec is a YAML mapping of fields (name:, task:, cohort:, ...); "
            "see examples/hip-fracture-home-care/spec.yaml"
        )
    lines: Lines = {}
    cohort_line = None
    _key_lines(node, (), lines, name)
    for key, value in node.value:
        if key.value == "cohort" and isinstance(value, yaml.ScalarNode):
            # A literal block (|) keeps the SQL's lines as they are in the file, so a
            # DuckDB "LINE n" maps to a file line; other styles fold or quote lines.
            if value.style == "|":
                cohort_line = value.start_mark.line + 2
            elif value.style is None and "\n" not in value.value:
                cohort_line = value.start_mark.line + 1
    return data, lines, cohort_line


def _key_lines(node: yaml.MappingNode, prefix: tuple[str, ...], lines: Lines, name: str) -> None:
    """Record each key's line; refuse a key given twice (YAML would keep only the last)."""
    for key, value in node.value:
        where = (*prefix, str(key.value))
        if where in lines:
            raise SpecError(
                f"{name} line {key.start_mark.line + 1}: field {'.'.join(where)!r} is given "
                f"twice (first on line {lines[where]}); keep one"
            )
        lines[where] = key.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            _key_lines(value, where, lines, name)


def _at(name: str, lines: Lines, where: tuple[str, ...]) -> str:
    """``"spec.yaml line 4: "``, or ``"spec.yaml: "`` when the line is unknown."""
    for cut in range(len(where), 0, -1):
        if where[:cut] in lines:
            return f"{name} line {lines[where[:cut]]}: "
    return f"{name}: "


def _describe(exc: ValidationError, name: str, lines: Lines) -> str:
    """One line for all of pydantic's errors, each naming its field."""
    parts = []
    for error in exc.errors():
        where = tuple(str(p) for p in error["loc"])
        field = ".".join(where)
        if error["type"] == "missing":
            parts.append(f"{name}: field {field!r} is missing; add it")
        elif error["type"] == "extra_forbidden":
            allowed = EVALUATION_FIELDS if where[:1] == ("evaluation",) else AUTHOR_FIELDS
            parts.append(
                f"{_at(name, lines, where)}unknown field {field!r}; "
                f"allowed there: {', '.join(allowed)}"
            )
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            got = error.get("input")
            shown = f" (got {got!r})" if isinstance(got, int | float | bool) else ""
            label = f"field {field!r}" if field else "spec"
            parts.append(f"{_at(name, lines, where)}{label}: {message}{shown}")
    return "; ".join(parts)
