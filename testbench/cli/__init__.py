"""The `testbench` command line (see :mod:`testbench.cli.app`)."""

from testbench.cli.app import app, main

__all__ = ["app", "main"]
