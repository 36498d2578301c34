"""Error types. Each message tells the user what to do next.

The CLI prints ``str(error)`` on one line and exits non-zero; anything that is
not a :class:`TestbenchError` is a bug and shows a traceback with ``--debug``.
"""

from __future__ import annotations


class TestbenchError(Exception):
    """Base class for errors a user can act on."""

    __test__ = False  # not a pytest test class, despite the name


class InvalidTenantName(TestbenchError):
    """A tenant name that is not lowercase letters, digits and hyphens."""


class TenantNotFound(TestbenchError):
    """No tenant of that name exists under TESTBENCH_HOME."""


class TenantExists(TestbenchError):
    """A tenant of that name already exists."""


class KeyMissing(TestbenchError):
    """A tenant's secret key is neither in its key file nor in the environment."""


class LakeError(TestbenchError):
    """The lake could not be opened or a query on it failed."""


class LakeEmpty(LakeError):
    """The lake has no tables yet."""


class QueryRefused(LakeError):
    """Cohort SQL tried to reach outside the tenant's own tables."""


class AuditTampered(TestbenchError):
    """The hash chain of an audit log does not verify."""


class EvidenceError(TestbenchError):
    """Evidence could not be written to or read from the MLflow store."""


class DisclosureViolation(TestbenchError):
    """Output from a lake breaks the disclosure policy; the message names where and which rule."""


class GateFailed(TestbenchError):
    """The privacy gate refused a twin: it may not leave the lake."""


class SpecError(TestbenchError):
    """A validation spec, its model file or its cohort is invalid; the message names the field."""
