"""Filling a lake with simulated Danish registers (for demos, tests and benchmarks).

The simulated tables replace any tables of the same names in one transaction,
with their keys and relations, and the ingest log forgets how those tables were
filled before (so ``lake status`` shows no stale quarantine for them). The write
is logged to the lake's audit log, if it has one, with each table's content hash.
"""

from __future__ import annotations

from collections.abc import Callable

from generators.registers import REGISTER_PRIMARY_KEYS, REGISTER_RELATIONS, simulate_registers
from testbench.lake.hashing import HASH_METHOD
from testbench.lake.ingest.quarantine import forget_ingests
from testbench.lake.lake import Lake


def fill_simulated(
    lake: Lake, persons: int, seed: int, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Simulate ``persons`` persons' registers and write them to ``lake``.

    Args:
        lake: the tenant's lake.
        persons: persons in ``bef``.
        seed: the simulation's seed (same seed, same tables).
        progress: called with a short message per table.

    Returns:
        Rows per table written.
    """
    tables = simulate_registers(persons=persons, seed=seed, progress=progress)
    with lake.transaction() as tx:
        for name, frame in tables.items():
            tx.replace_table(name, frame, REGISTER_PRIMARY_KEYS.get(name))
        tx.add_relations(list(REGISTER_RELATIONS))
        forget_ingests(tx, list(tables))
    rows = {name: len(frame) for name, frame in tables.items()}
    if lake.audit is not None:
        lake.log(
            "lake.simulate",
            persons=persons,
            seed=seed,
            rows=rows,
            tables=lake.table_hashes(list(tables)),
            hash_method=HASH_METHOD,
        )
    return rows
