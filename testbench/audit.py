"""Append-only, hash-chained audit log (one JSON object per line).

Each entry carries the SHA-256 of the previous entry, so editing, removing or
reordering any line breaks the chain and :func:`AuditLog.verify` reports the
first bad line. Removing the last lines leaves a shorter chain that is still
whole, so every append also records the entry count and last hash beside the log
(``audit.head``); a log shorter than its head is reported too. (Whoever can
rewrite both files can rewrite history; keep a copy of the head elsewhere, e.g.
in backups, for that.)

Entries hold actions, counts and content hashes only: never a key, CPR number or row.
Appends take an exclusive lock on the file, so concurrent jobs do not fork the chain.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from testbench.errors import AuditTampered

GENESIS = "0" * 64


def _digest(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class AuditLog:
    """The audit log of one tenant."""

    path: Path  # TESTBENCH_HOME/tenants/<tenant>/audit.jsonl

    @property
    def head_path(self) -> Path:
        """Where the entry count and last hash are kept (``audit.head`` beside the log)."""
        return self.path.with_suffix(".head")

    def append(self, action: str, actor: str | None = None, **details: Any) -> dict[str, Any]:
        """Append one entry and return it.

        Args:
            action: what happened, e.g. "lake.simulate", "lake.query", "twin.build".
            actor: who did it; defaults to the operating-system user.
            **details: aggregate facts (counts, ids, hashes, decisions), JSON-serialisable.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            count, last = self._tail(handle)
            entry: dict[str, Any] = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "actor": actor or getpass.getuser(),
                "action": action,
                "details": details,
                "prev": last,
            }
            entry["hash"] = _digest(entry)
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            self._write_head(count + 1, entry["hash"])
        return entry

    def _tail(self, handle: IO[str]) -> tuple[int, str]:
        """Entries so far and the last one's hash (from the head when it agrees with the log)."""
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        if end == 0:
            return 0, GENESIS
        last_line = ""
        start = end
        while start > 0 and not last_line.strip():
            start = max(0, start - 4096)
            handle.seek(start)
            lines = [line for line in handle.read().splitlines() if line.strip()]
            last_line = lines[-1] if lines and (start == 0 or len(lines) > 1) else ""
        last = json.loads(last_line)["hash"] if last_line.strip() else GENESIS
        try:
            head = json.loads(self.head_path.read_text())
            if head.get("last") == last:
                return int(head["entries"]), last
        except (OSError, ValueError, KeyError, TypeError):
            pass
        handle.seek(0)
        return sum(1 for line in handle if line.strip()), last

    def _write_head(self, count: int, last: str) -> None:
        temporary = self.head_path.with_suffix(".head.tmp")
        temporary.write_text(json.dumps({"entries": count, "last": last}) + "\n")
        os.replace(temporary, self.head_path)

    def entries(self) -> list[dict[str, Any]]:
        """All entries, oldest first.

        Public API: how a reviewer or a script reads the log (``testbench audit verify``
        checks it; this returns it).

        Raises:
            AuditTampered: a line is not a JSON entry.
        """
        return [entry for _, entry in self._numbered()]

    def _numbered(self) -> list[tuple[int, dict[str, Any]]]:
        if not self.path.exists():
            return []
        out = []
        with self.path.open() as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    raise self._broken(number, "it is not a JSON entry") from None
                if not isinstance(entry, dict):
                    raise self._broken(number, "it is not a JSON entry")
                out.append((number, entry))
        return out

    def _broken(self, line: int, why: str) -> AuditTampered:
        return AuditTampered(
            f"audit log {self.path} is broken at line {line}: {why}; it was edited, removed "
            "or reordered from there on. Restore it from backup"
        )

    def verify(self) -> int:
        """Check the hash chain and the head; return the number of entries.

        Raises:
            AuditTampered: an entry was changed, removed or reordered, or the last
                entries were removed; the message names the first bad line.
        """
        prev = GENESIS
        numbered = self._numbered()
        for index, (line, entry) in enumerate(numbered, start=1):
            if entry.get("prev") != prev:
                raise self._broken(line, f"entry {index} does not follow the entry before it")
            if entry.get("hash") != _digest(entry):
                raise self._broken(line, f"entry {index} was changed after it was written")
            prev = entry["hash"]
        self._check_head(numbered)
        return len(numbered)

    def _check_head(self, numbered: list[tuple[int, dict[str, Any]]]) -> None:
        if not self.head_path.exists():
            return  # a log written before heads were kept
        try:
            head = json.loads(self.head_path.read_text())
            expected, last = int(head["entries"]), str(head["last"])
        except (ValueError, KeyError, TypeError):
            raise AuditTampered(
                f"audit head {self.head_path} is not readable; restore it from backup"
            ) from None
        if len(numbered) < expected:
            line = numbered[-1][0] + 1 if numbered else 1
            raise self._broken(
                line, f"{expected} entries were written but only {len(numbered)} are left"
            )
        if expected and numbered[expected - 1][1].get("hash") != last:
            raise self._broken(
                numbered[expected - 1][0], f"entry {expected} is not the one written"
            )
