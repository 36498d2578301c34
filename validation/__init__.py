"""Validation metrics: twin ``fidelity``, ``privacy`` of twins and models, model ``performance``.

Exposes modules, not names: import from the subpackages.
"""

__all__: list[str] = []
