"""Jobs: work that runs inside the lake boundary, serially or on Ray (:mod:`common.executor`)."""
