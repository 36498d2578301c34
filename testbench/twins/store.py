"""Build and keep synthetic twins of a tenant lake (inside the lake boundary).

A twin lives in ``TESTBENCH_HOME/twins/<tenant>/<twin-id>/``: its tables as
Parquet, the fitted builder, and ``twin.json`` with sizes, timings and scores.
The real persons held out of fitting are recorded inside the encrypted lake
(``_tb_holdout``), never in the twin directory.
"""

from __future__ import annotations

import json
import pickle
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from common.executor import Executor
from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.graph import find_unit_table
from generators.twin.holdout import split_holdout
from generators.twin.metadata import build_metadata
from testbench.config import Settings
from testbench.errors import TestbenchError
from testbench.lake import Lake
from testbench.tenants import Tenant
from testbench.twins.errors import TwinNotFound
from validation.fidelity import quality_report

Progress = Callable[[str], None]

# How to declare the keys a twin needs, added to the table graph's refusals.
INGEST_KEYS = "`testbench lake ingest --primary-key COL` or `--foreign-key COL:PARENT.COL`"


@dataclass(frozen=True)
class TwinManifest:
    """What ``twin.json`` records about one twin."""

    twin_id: str  # e.g. "20261122T101500-3f9a1c"
    tenant: str  # owner
    synthesizer: str  # "gaussian_copula", "ctgan" or "tvae"
    seed: int  # fitting and sampling seed
    unit_table: str  # table whose rows are the units held out (persons)
    holdout_share: float  # share of units held out of fitting
    rows: dict[str, int]  # twin rows per table
    fit_s: dict[str, float]  # fitting seconds per table
    sample_s: dict[str, float]  # sampling seconds per table
    quality: float  # SDMetrics QualityReport overall score (twin vs training rows)
    quality_properties: dict[str, float] = field(default_factory=dict)  # per property
    created: str = ""  # ISO time, UTC
    latent: bool = False  # empirical marginals and latent correlations (TwinBuilder(latent=True))
    profiles: bool = False  # hidden person profiles (TwinBuilder(profiles=True))


class TwinStore:
    """Twins of one tenant on disk."""

    def __init__(self, settings: Settings, tenant: Tenant) -> None:
        self.tenant = tenant
        self.root = settings.twins_dir / tenant.name

    def path(self, twin_id: str) -> Path:
        return self.root / twin_id

    def ids(self) -> list[str]:
        """Twin ids, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "twin.json").exists())

    def resolve(self, twin_id: str | None) -> str:
        """``twin_id`` if it exists, or the newest twin when None.

        Raises:
            TwinNotFound: with what to do next.
        """
        ids = self.ids()
        if twin_id is None:
            if not ids:
                raise TwinNotFound(
                    f"tenant {self.tenant.name!r} has no twin; build one with "
                    f"`testbench twin build {self.tenant.name}`"
                )
            return ids[-1]
        if twin_id not in ids:
            raise TwinNotFound(f"no twin {twin_id!r} for tenant {self.tenant.name!r}; twins: {ids}")
        return twin_id

    def manifest(self, twin_id: str) -> TwinManifest:
        data = json.loads((self.path(twin_id) / "twin.json").read_text())
        return TwinManifest(**data)

    def tables(self, twin_id: str) -> dict[str, pd.DataFrame]:
        folder = self.path(twin_id) / "tables"
        return {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}

    def save(
        self, manifest: TwinManifest, tables: dict[str, pd.DataFrame], builder: TwinBuilder
    ) -> Path:
        folder = self.path(manifest.twin_id)
        (folder / "tables").mkdir(parents=True)
        for name, frame in tables.items():
            frame.to_parquet(folder / "tables" / f"{name}.parquet", index=False)
        with (folder / "builder.pkl").open("wb") as handle:
            pickle.dump(builder, handle)
        (folder / "twin.json").write_text(json.dumps(asdict(manifest), indent=2))
        return folder


def build_twin(
    settings: Settings,
    tenant: Tenant,
    lake: Lake,
    synthesizer: str = "gaussian_copula",
    seed: int = 0,
    tables: list[str] | None = None,
    holdout_share: float = 0.2,
    latent: bool = False,
    executor: Executor | None = None,
    progress: Progress | None = None,
    profiles: bool = False,
) -> TwinManifest:
    """Fit a twin on the lake minus a held-out share of units, sample it, score it, store it.

    Args:
        settings: where twins are kept.
        tenant: owner.
        lake: the tenant's lake.
        synthesizer: per-table synthesizer kind.
        seed: fixes the holdout, the fit and the sample.
        tables: lake tables to include (default all).
        holdout_share: share of units kept out of fitting for evaluation.
        latent: Gaussian copulas with empirical marginals and latent correlations
            (``TwinBuilder(latent=True)``).
        executor: runs the per-table fits and sampling chunks (Ray); serial when None.
        progress: per-step messages.
        profiles: hidden person profiles every table is drawn given
            (``TwinBuilder(profiles=True)``).

    Returns:
        The stored twin's manifest.
    """
    say = progress or (lambda _m: None)
    names = tables or lake.require_tables()
    real = lake.read_tables(names)
    relations = [r for r in lake.relations() if r.child_table in real and r.parent_table in real]
    keys = {t: k for t, k in lake.primary_keys().items() if t in real}
    try:
        unit = find_unit_table(names, relations, keys)
    except ValueError as exc:
        raise TestbenchError(f"{exc} ({INGEST_KEYS})") from None
    training, holdout = split_holdout(real, relations, unit, holdout_share, seed)
    say(f"holding out {len(holdout[unit]):,} of {len(real[unit]):,} {unit} rows for evaluation")
    builder = TwinBuilder(
        synthesizer=synthesizer,
        seed=seed,
        unit_table=unit,
        latent=latent,
        profiles=profiles,
        executor=executor,
        progress=say,
    )
    start = time.perf_counter()
    builder.fit(training, relations, keys)
    twin = builder.sample(scale=1.0, seed=seed)  # as many units as were fitted
    say(f"twin fitted and sampled in {time.perf_counter() - start:.1f} s; scoring fidelity")
    fidelity = quality_report(training, twin, build_metadata(training, relations, keys))
    twin_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    timings = builder.table_timings()
    manifest = TwinManifest(
        twin_id=twin_id,
        tenant=tenant.name,
        synthesizer=synthesizer,
        seed=seed,
        unit_table=unit,
        holdout_share=holdout_share,
        rows={n: len(f) for n, f in twin.items()},
        fit_s={n: round(t.fit_s, 3) for n, t in timings.items()},
        sample_s={n: round(t.sample_s, 3) for n, t in timings.items()},
        quality=round(fidelity.overall, 4),
        quality_properties={k: round(v, 4) for k, v in fidelity.properties.items()},
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        latent=latent,
        profiles=profiles,
    )
    key = unit_key(relations, unit, keys)
    held = pd.DataFrame({"twin_id": twin_id, "unit_key": holdout[unit][key].astype(str).to_numpy()})
    lake.append_internal("holdout", held)
    TwinStore(settings, tenant).save(manifest, twin, builder)
    return manifest


def unit_key(relations: list[Relation], unit: str, keys: dict[str, str]) -> str:
    """The key column of the unit table (declared primary key, else the referenced column)."""
    if unit in keys:
        return keys[unit]
    return next(r.parent_column for r in relations if r.parent_table == unit)


def holdout_units(lake: Lake, twin_id: str) -> set[str]:
    """Keys of the real units held out of a twin's fitting (inside the lake only)."""
    frame = lake.read_internal("holdout")
    if frame is None:
        return set()
    return set(frame.loc[frame["twin_id"] == twin_id, "unit_key"])
