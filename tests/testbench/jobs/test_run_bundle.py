"""The same spec on a twin bundle (an SME's laptop: no lake, no key) as inside the lake."""

from __future__ import annotations

import json
from pathlib import Path

from testbench.config import Settings
from testbench.tenants import TenantRegistry
from testbench.twins.bundle.export import export_bundle
from testbench.twins.gate import PrivacyGate
from testbench.twins.store import TwinStore
from testkit.gate_inputs import PASSING


def test_bundle_run_gives_the_twin_regime_of_the_lake_run(story_home, tmp_path: Path, cli) -> None:
    home, story = story_home
    settings = Settings(home=home)
    tenant = TenantRegistry(settings).get("acme")
    twin_id = story["twin"]["twin_id"]
    evaluation = {
        "schema": 1,
        "kind": "twin-evaluation",
        "tenant": "acme",
        "twin": twin_id,
        "gate": PrivacyGate().decide(PASSING).to_dict(),
    }
    bundle = export_bundle(
        TwinStore(settings, tenant), twin_id, tmp_path / "bundle", evaluation, ""
    )

    laptop = tmp_path / "laptop"  # an empty TESTBENCH_HOME: no tenant, no key, no lake
    out = cli("validate", str(story["spec"]), "--bundle", str(bundle), "--json", home=laptop)
    evidence = json.loads(out.stdout)
    assert evidence["run_id"] is None and evidence["data"] == "bundle"
    assert list(evidence["regimes"]) == ["TSTS"]
    inside = story["validation"]
    # Same code path, same output shape, and on the same twin rows the same numbers.
    assert set(evidence) == set(inside)
    assert evidence["regimes"]["TSTS"] == inside["regimes"]["TSTS"]
    assert not (laptop / "tenants").exists() and not (laptop / "keys").exists()
