"""Append-only, hash-chained audit log (one JSON object per line).

Each entry carries the SHA-256 of the previous entry, so editing, removing or
reordering any line breaks the chain and :func:`verify` reports where.
Entries hold actions and aggregate facts only: never a key, CPR number or row.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testbench.errors import AuditTampered

GENESIS = "0" * 64


def _digest(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class AuditLog:
    """The audit log of one tenant."""

    path: Path  # TESTBENCH_HOME/tenants/<tenant>/audit.jsonl

    def _last_hash(self) -> str:
        if not self.path.exists():
            return GENESIS
        last = GENESIS
        with self.path.open() as handle:
            for line in handle:
                if line.strip():
                    last = json.loads(line)["hash"]
        return last

    def append(self, action: str, actor: str | None = None, **details: Any) -> dict[str, Any]:
        """Append one entry and return it.

        Args:
            action: what happened, e.g. "lake.simulate", "twin.build", "run.approve".
            actor: who did it; defaults to the operating-system user.
            **details: aggregate facts (counts, ids, decisions), JSON-serialisable.
        """
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "actor": actor or getpass.getuser(),
            "action": action,
            "details": details,
            "prev": self._last_hash(),
        }
        entry["hash"] = _digest(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """All entries, oldest first."""
        if not self.path.exists():
            return []
        with self.path.open() as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def verify(self) -> int:
        """Check the hash chain; return the number of entries.

        Raises:
            AuditTampered: an entry was changed, removed or reordered.
        """
        prev = GENESIS
        entries = self.entries()
        for number, entry in enumerate(entries, start=1):
            if entry.get("prev") != prev or entry.get("hash") != _digest(entry):
                raise AuditTampered(
                    f"audit log {self.path} is broken at entry {number}: "
                    "it was edited, removed or reordered; restore it from backup"
                )
            prev = entry["hash"]
        return len(entries)
