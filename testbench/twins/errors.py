"""Errors of releasing a twin: the store, the gate's policy and the bundle."""

from __future__ import annotations

from testbench.errors import TestbenchError


class TwinNotFound(TestbenchError):
    """No twin with that id (or none at all) for the tenant."""


class GatePolicyInvalid(TestbenchError):
    """A gate policy file names an unknown check or holds a bad value."""


class BundleError(TestbenchError):
    """A bundle cannot be written where asked (target folder in use, wrong evaluation)."""


class NotABundle(TestbenchError):
    """A folder is not a (complete, unchanged) twin bundle."""


class BundleLeak(TestbenchError):
    """A bundle would hold a secret or a real person's pseudonym; nothing was published."""


class GateFailed(TestbenchError):
    """The privacy gate refused a twin: it may not leave the lake."""
