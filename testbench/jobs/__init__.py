"""Jobs: work that runs inside the lake boundary, serially or on Ray (:mod:`common.executor`)."""

__all__: list[str] = []  # exposes modules (run, submit, validation, ...), not names
