"""Settings, read from the environment in one place.

Every other module takes a :class:`Settings` object instead of reading
``os.environ`` itself, so a test can point the whole test-bench at a temporary
directory by building one ``Settings(home=tmp_path)``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the test-bench keeps its state and which services it talks to."""

    model_config = SettingsConfigDict(env_prefix="TESTBENCH_", extra="ignore")

    # Root of all local state (lakes, keys, twins, evidence store). Env: TESTBENCH_HOME.
    home: Path = Field(default=Path(".testbench"))
    # MLflow tracking URI; default is a SQLite file under `home`. Env: MLFLOW_TRACKING_URI
    # (the standard MLflow variable, read without our prefix).
    mlflow_tracking_uri: str | None = Field(default=None, validation_alias="MLFLOW_TRACKING_URI")
    # Ray cluster address; None starts a local Ray. Env: RAY_ADDRESS (standard Ray variable).
    ray_address: str | None = Field(default=None, validation_alias="RAY_ADDRESS")
    # Smallest number of persons any published count, cell or subgroup may describe.
    min_cell_count: int = Field(default=5, ge=1)
    # Dashboard: the `demo` tenant's published evidence is open without a viewer token.
    # Env: TESTBENCH_DEMO_MODE (`testbench demo` sets it for the dashboard it serves).
    demo_mode: bool = False
    # Python that runs a submitted Ray Job's entrypoint on the cluster (`testbench submit`).
    # Env: TESTBENCH_JOB_PYTHON; the cluster's image must have the test-bench installed.
    job_python: str = "python"

    @property
    def tenants_dir(self) -> Path:
        return self.home / "tenants"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def twins_dir(self) -> Path:
        return self.home / "twins"

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI in force: the override, or SQLite under ``home``."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def artifact_root(self) -> Path:
        """Where a local MLflow store keeps run artifacts."""
        return (self.home / "mlartifacts").resolve()


def load_settings() -> Settings:
    """Read settings from the environment (the one place that does)."""
    return Settings()


def tenant_key_env_var(tenant: str) -> str:
    """Name of the environment variable that may carry a tenant's secret key."""
    return "TESTBENCH_KEY_" + tenant.upper().replace("-", "_")


def tenant_key_from_env(tenant: str) -> str | None:
    """A tenant's secret key from the environment, when production injects it (KMS, vault)."""
    import os

    return os.environ.get(tenant_key_env_var(tenant)) or None
