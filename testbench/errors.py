"""Error types: the map of every error a user can act on. Each message says what to do next.

The CLI prints ``str(error)`` on one line and exits non-zero; anything that is not a
:class:`TestbenchError` (or :class:`common.executor.TaskFailed`) is a bug and shows a
traceback with ``--debug``. Each package keeps its own errors in its ``errors.py``; the
ones defined here are cross-cutting (tenants, keys, audit, viewers)::

    TestbenchError                       testbench/errors.py
    ├── InvalidTenantName, TenantNotFound, TenantExists, KeyMissing
    ├── AuditTampered
    ├── InvalidViewerName, ViewerExists, ViewerNotFound
    ├── LakeError                        testbench/lake/errors.py
    │   ├── LakeEmpty, QueryRefused
    │   └── IngestError                  testbench/lake/ingest/errors.py
    │       └── UnreadableFile, UnknownContract, MissingColumn, UnknownParentTable
    ├── SpecError                        testbench/spec/errors.py
    ├── JobError, SubmitError            testbench/jobs/errors.py
    ├── SandboxError                     testbench/jobs/sandbox/errors.py
    │   └── (the SME's code failed, broke a limit, or no sandbox could be set up)
    ├── TwinNotFound, GatePolicyInvalid, GateFailed,
    │   BundleError, NotABundle, BundleLeak   testbench/twins/errors.py
    ├── DisclosureViolation              testbench/disclosure/errors.py
    ├── EvidenceError, ApprovalRefused   testbench/evidence/errors.py
    ├── CatalogueError                   testbench/catalogue/errors.py
    └── AccessError                      testbench/catalogue/errors.py
        └── RequestNotFound, AccessRefused

    TaskFailed (Exception)               common/executor.py: a task failed for good on Ray

The libraries below ``testbench`` raise standard types, so they stay usable on their own:
``validation`` (``FidelityInputError``, ``DriftReportMissing``, ``AttackInputError``,
``UndefinedMetricError``, ``TooFewEventsError``: ``ValueError``/``LookupError``) and
``generators`` (``InvalidSimulationSettings``: ``ValueError``).
"""

from __future__ import annotations


class TestbenchError(Exception):
    """Base class for errors a user can act on; their messages never hold data."""

    __test__ = False  # not a pytest test class, despite the name
    safe_to_show = True  # common.executor passes it on as it is (other errors: type only)


class InvalidTenantName(TestbenchError):
    """A tenant name that is not lowercase letters, digits and hyphens."""


class TenantNotFound(TestbenchError):
    """No tenant of that name exists under TESTBENCH_HOME."""


class TenantExists(TestbenchError):
    """A tenant of that name already exists."""


class KeyMissing(TestbenchError):
    """A tenant's secret key is neither in its key file nor in the environment."""


class AuditTampered(TestbenchError):
    """The hash chain of an audit log does not verify."""


class InvalidViewerName(TestbenchError):
    """A viewer name that is not lowercase letters, digits, '-' and '_'."""


class ViewerExists(TestbenchError):
    """The tenant already has a viewer of that name."""


class ViewerNotFound(TestbenchError):
    """The tenant has no viewer of that name."""
