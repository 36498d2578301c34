"""Errors of the catalogue and of access requests; each message says what to do next.

::

    TestbenchError                      testbench/errors.py
    ├── CatalogueError                  the lake cannot be described or the output not written
    └── AccessError                     an access request cannot be made, decided or used
        ├── RequestNotFound             no request with that id
        └── AccessRefused               the rule that refused it is in the message
"""

from __future__ import annotations

from testbench.errors import TestbenchError


class CatalogueError(TestbenchError):
    """A lake's catalogue cannot be built, checked or written."""


class AccessError(TestbenchError):
    """An access request cannot be made, decided or used."""


class RequestNotFound(AccessError):
    """No access request with that id."""


class AccessRefused(AccessError):
    """A rule refused the request, its decision or its use (the message names the rule)."""
