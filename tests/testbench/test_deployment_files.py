"""The deployment files an operator edits: valid for the tools that read them."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_ray_cluster_yaml_passes_rays_own_schema() -> None:
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((REPO / "ray_cluster.yaml").read_text())
    validate_config(config)  # raises jsonschema.ValidationError on any unknown or bad key
    prepared = prepare_config(config)
    assert prepared["provider"]["type"] == "local"
    assert len(config["provider"]["worker_ips"]) == config["max_workers"]
    start = " ".join(config["head_start_ray_commands"] + config["worker_start_ray_commands"])
    assert start.count("RAY_AUTH_MODE=token") == 2  # token auth on head and workers
    setup = " ".join(config["setup_commands"])
    assert "torch==2.13.0" in setup and "/opt/oscar-testbench" in setup


def test_mlflow_folder_is_not_a_python_package() -> None:
    # An mlflow/__init__.py would shadow the mlflow library for everything run from here.
    assert not (REPO / "mlflow" / "__init__.py").exists()
    assert (REPO / "mlflow" / "start.sh").stat().st_mode & 0o111
