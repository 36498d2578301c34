"""The dashboard's pages, one Streamlit script each, run by ``st.navigation`` in app.py.

Not named ``pages/``: Streamlit treats a ``pages/`` folder beside the entry point as a
legacy multipage app and may run a page without the entry point (no sidebar, no access check).
"""

__all__: list[str] = []  # exposes page scripts, not names
