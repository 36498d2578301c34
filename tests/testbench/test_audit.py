import json
from pathlib import Path

import pytest

from testbench.audit import AuditLog
from testbench.errors import AuditTampered


def test_chain_verifies_and_detects_edits(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(3):
        log.append("twin.build", actor="ops", rows=i)
    assert log.verify() == 3
    lines = log.path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["details"]["rows"] = 99
    lines[1] = json.dumps(entry, sort_keys=True)
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AuditTampered, match="entry 2"):
        log.verify()


def test_removed_entry_breaks_the_chain(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(3):
        log.append("step", actor="ops", n=i)
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    with pytest.raises(AuditTampered):
        log.verify()


def test_empty_log_verifies(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "none.jsonl").verify() == 0
