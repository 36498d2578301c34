"""Hold a share of real units (persons) out of twin fitting.

The held-out persons, with every row that hangs off them at any depth, stay in
the lake: they are the real test set for TSTR and the control set for the
privacy evaluation (DCR against training vs holdout, Anonymeter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.graph import topological_order, unit_of_rows


def split_holdout(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    root: str,
    share: float = 0.2,
    seed: int = 0,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Split every table by whether its rows belong to held-out root units.

    Args:
        tables: table name -> rows.
        relations: foreign keys; a child row follows its (first) parent down any depth.
        root: the unit table, e.g. "bef" (persons).
        share: fraction of root units held out, 0 <= share < 1.
        seed: which units are held out.

    Returns:
        ``(training, holdout)`` with the same table names. Tables not reachable
        from ``root`` are kept whole in ``training``.
    """
    if not 0 <= share < 1:
        raise ValueError(f"holdout share must be in [0, 1), got {share}")
    rng = np.random.default_rng(seed)
    units = tables[root]
    held = np.zeros(len(units), dtype=bool)
    held[rng.permutation(len(units))[: round(share * len(units))]] = True
    train: dict[str, pd.DataFrame] = {root: units[~held]}
    hold: dict[str, pd.DataFrame] = {root: units[held]}
    reachable = {root}
    for name in topological_order(list(tables), relations):
        if name == root:
            continue
        frame = tables[name]
        rel = next(
            (r for r in relations if r.child_table == name and r.parent_table in reachable), None
        )
        if rel is None:  # not hanging off the units: nothing personal to hold out
            train[name], hold[name] = frame, frame.iloc[0:0]
            continue
        mask = frame[rel.child_column].isin(hold[rel.parent_table][rel.parent_column]).to_numpy()
        train[name], hold[name] = frame[~mask], frame[mask]
        reachable.add(name)
    return train, hold


def split_by_units(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    unit: str,
    unit_key: str,
    held_keys: set[str],
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Split every table by whether its rows belong to the given held-out units.

    The same split as :func:`split_holdout` made, rebuilt from the recorded unit keys
    (compared as text) instead of the seed.

    Returns:
        ``(training, holdout)``; tables not reachable from ``unit`` stay whole in training.
    """
    order = topological_order(list(tables), relations)
    units = unit_of_rows(tables, relations, order, unit, unit_key)
    train: dict[str, pd.DataFrame] = {}
    hold: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if name not in units:
            train[name], hold[name] = frame, frame.iloc[0:0]
            continue
        mask = units[name].astype("string").isin(held_keys).fillna(False).to_numpy(dtype=bool)
        train[name], hold[name] = frame[~mask], frame[mask]
    return train, hold
