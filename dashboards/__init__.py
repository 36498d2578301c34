"""The buyers' dashboard (Streamlit): ``app`` is the entry point, ``screens`` its pages.

Exposes modules, not names: import ``dashboards.data``, ``dashboards.i18n`` and so on directly.
"""

__all__: list[str] = []
