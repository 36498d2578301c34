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


def _log_of(tmp_path: Path, entries: int = 4) -> tuple[AuditLog, list[str]]:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(entries):
        log.append("lake.query", actor="job", n=i)
    return log, log.path.read_text().splitlines()


@pytest.mark.parametrize(
    ("tamper", "line"),
    [
        (lambda lines: [lines[0], lines[2], lines[1], lines[3]], 2),  # reordered
        (lambda lines: lines[:1] + lines[2:], 2),  # a middle line removed
        (lambda lines: lines[:3], 4),  # the last line removed
        (lambda lines: [*lines[:2], '{"not": "closed', *lines[3:]], 3),  # garbage
        (lambda lines: [lines[0].replace('"job"', '"someone else"'), *lines[1:]], 1),  # edited
    ],
)
def test_every_kind_of_tampering_names_the_first_bad_line(
    tmp_path: Path, tamper: object, line: int
) -> None:
    log, lines = _log_of(tmp_path)
    log.path.write_text("\n".join(tamper(lines)) + "\n")  # type: ignore[operator]
    with pytest.raises(AuditTampered, match=f"broken at line {line}:"):
        log.verify()


def test_appending_after_verification_keeps_the_chain_and_head(tmp_path: Path) -> None:
    log, _ = _log_of(tmp_path, entries=2)
    log.path.write_text(log.path.read_text() + "\n")  # a stray blank line is harmless
    log.append("lake.read", actor="job")
    assert log.verify() == 3
    assert json.loads(log.head_path.read_text())["entries"] == 3
