"""Building the SME's estimator from the model file's source text.

The model file is kept as text in the spec, not imported from disk, so the same
spec object builds the same model on a laptop and on a Ray worker that never saw
the file. It is executed as a module made with
:func:`importlib.util.spec_from_file_location`, under a name derived from its
content, so tracebacks point at the file and classes defined in it have a module.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from testbench.spec.errors import SpecError

EXAMPLE = "e.g. a Pipeline ending in LogisticRegression()"


def load_model_module(source: str, path: Path) -> ModuleType:
    """Execute a model file's source as a fresh module.

    Args:
        source: The model file's text.
        path: Where the file lies (or lay); used for the module's ``__file__`` and tracebacks.

    Returns:
        The executed module, also registered in ``sys.modules`` under a name unique
        to its content (``testbench_model_<sha256 prefix>``).

    Raises:
        SpecError: the source has a syntax error (with its line) or raises on import.
    """
    name = f"testbench_model_{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise SpecError(
            f"model: {path.name} line {exc.lineno}: {exc.msg}; fix the model file"
        ) from None
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None:  # only for paths without a .py suffix, which the spec refuses
        raise SpecError(f"model: cannot load {path.name} as a Python module; name it *.py")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickle look classes up by module name
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise SpecError(
            f"model: importing {path.name} raised {type(exc).__name__}: {exc}; "
            "the model file may only import installed packages"
        ) from exc
    return module


def build_estimator(source: str, path: Path, function: str, task: str) -> BaseEstimator:
    """Call ``function`` in the model source and check what it returns.

    Args:
        source: The model file's text.
        path: The model file's path (for messages and tracebacks).
        function: Name of the function that builds the estimator; called with no arguments.
        task: ``"binary_classification"`` or ``"regression"``.

    Returns:
        The unfitted estimator.

    Raises:
        SpecError: see :meth:`ValidationSpec.build_model`.
    """
    module = load_model_module(source, path)
    where = f"{path.name}:{function}"
    factory = getattr(module, function, None)
    if factory is None or not callable(factory):
        raise SpecError(
            f"model: {path.name} has no function {function!r}; define "
            f"`def {function}():` returning an unfitted scikit-learn estimator"
        )
    try:
        estimator = factory()
    except Exception as exc:
        raise SpecError(f"model: {where}() raised {type(exc).__name__}: {exc}") from exc
    check_estimator_for_task(estimator, task, where)
    return estimator


def check_estimator_for_task(estimator: object, task: str, where: str) -> None:
    """Check that ``estimator`` is an unfitted, clonable scikit-learn estimator for ``task``.

    Args:
        estimator: What the model function returned.
        task: ``"binary_classification"`` or ``"regression"``.
        where: ``file.py:function``, for messages.

    Raises:
        SpecError: it is not an estimator, not fit for the task, already fitted, or
            cannot be cloned.
    """
    kind = type(estimator).__name__
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise SpecError(
            f"model: {where}() returned a {kind}, not a scikit-learn estimator; "
            f"return an unfitted estimator or pipeline, {EXAMPLE}"
        )
    if task == "binary_classification":
        if not is_classifier(estimator):
            raise SpecError(
                f"model: {where}() returned a {kind}, which is not a classifier; "
                f"task binary_classification needs one, {EXAMPLE}"
            )
        if not hasattr(estimator, "predict_proba"):
            raise SpecError(
                f"model: {where}() returned a {kind} without predict_proba; AUROC and "
                "calibration need probabilities (for SVC, set probability=True)"
            )
    elif not is_regressor(estimator) or not hasattr(estimator, "predict"):
        raise SpecError(
            f"model: {where}() returned a {kind}, which is not a regressor; "
            "task regression needs one, e.g. a Pipeline ending in Ridge()"
        )
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        pass
    else:
        raise SpecError(
            f"model: {where}() returned a fitted {kind}; return it unfitted, the "
            "test-bench fits it on each training set"
        )
    try:
        clone(estimator)
    except Exception as exc:
        raise SpecError(
            f"model: {where}() returned a {kind} that scikit-learn cannot clone "
            f"({type(exc).__name__}: {exc}); its __init__ must only store its parameters"
        ) from exc
