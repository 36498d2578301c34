"""Shared test helpers, one module per kind: extract files, specs, evidence, gate inputs, ports.

``tests/support`` is on pytest's pythonpath (``tests/`` itself would shadow the real packages),
so tests import them as ``from testkit.specs import write_contact_spec``.
"""
