"""OSCAR HOST test-bench: tenants, lakes, twins, validation jobs, evidence.

The CLI (`testbench.cli`) is a thin shell over the modules here; every step can
be called from Python with DataFrames and settings.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
