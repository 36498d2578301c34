"""Real public health data sets, fetched on demand, for testing on data nobody here wrote.

Exposes modules, not names: ``generators.public.nafld``.
"""

__all__: list[str] = []
