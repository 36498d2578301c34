"""Disclosure control: the one checker everything leaving a tenant lake passes through."""

from testbench.disclosure.acro import magnitude_rules, nk_unsafe, p_ratio_unsafe, threshold_unsafe
from testbench.disclosure.checker import DisclosureChecker
from testbench.disclosure.errors import DisclosureViolation
from testbench.disclosure.patterns import COUNT_KEYS, IDENTIFIER_NAMES
from testbench.disclosure.policy import DisclosurePolicy

__all__ = [
    "COUNT_KEYS",
    "IDENTIFIER_NAMES",
    "DisclosureChecker",
    "DisclosurePolicy",
    "DisclosureViolation",
    "magnitude_rules",
    "nk_unsafe",
    "p_ratio_unsafe",
    "threshold_unsafe",
]
