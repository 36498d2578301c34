"""Releasing a twin: the twin store, its evaluation, person-level privacy checks, the gate and
the SME's bundle.

Flow: :func:`~testbench.twins.store.build_twin` -> :func:`~testbench.twins.evaluation.evaluate_twin`
(fidelity, :mod:`~testbench.twins.privacy` checks, :class:`~testbench.twins.gate.PrivacyGate`)
-> :func:`~testbench.twins.bundle.export.export_bundle` (refused unless the gate passed).
"""

__all__: list[str] = []  # exposes modules (store, evaluation, gate, ...), not names
