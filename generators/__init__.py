"""Data generators: the register simulator (``registers``) and the twin builder (``twin``).

Exposes modules, not names: import from ``generators.registers``, ``generators.twin`` or
``generators.relations``.
"""

__all__: list[str] = []
