"""Small helpers shared by the benchmark scripts (no benchmark itself: run_all.py skips it).

Import it from a benchmark run as a script (``python benchmarks/NAME.py``), whose folder is
then first on ``sys.path``: ``from _common import progress, timed``.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

R = TypeVar("R")

# Libraries whose warnings and log chatter drown a benchmark's own progress lines.
NOISY_LOGGERS = ("sdv", "sdmetrics", "rdt", "copulas", "ctgan", "MultiTableSynthesizer")


def progress(message: str) -> None:
    """One progress line on stderr (stdout is kept for the result)."""
    print(message, file=sys.stderr, flush=True)


def timed(function: Callable[..., R], *args: Any, **kwargs: Any) -> tuple[R, float]:
    """``function(*args, **kwargs)`` and the wall-clock seconds it took."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


@contextmanager
def quiet(loggers: tuple[str, ...] = NOISY_LOGGERS) -> Iterator[None]:
    """Silence warnings and the named libraries' log records below ERROR; errors still raise."""
    levels = {name: logging.getLogger(name).level for name in loggers}
    try:
        for name in loggers:
            logging.getLogger(name).setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
