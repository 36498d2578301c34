"""Ingesting extracts into a real (encrypted) lake: what an operator and an SME would notice.

Every CPR number here is made up by the `fake_cprs` fixture. Assertions about CPR
numbers compare positions, never print the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from generators.relations import Relation
from testbench.lake import Lake
from testbench.lake.ingest.contracts import CONTRACTS
from testbench.lake.ingest.errors import (
    IngestError,
    MissingColumn,
    UnknownContract,
    UnknownParentTable,
    UnreadableFile,
)
from testbench.lake.ingest.pipeline import ingest_file
from testbench.lake.ingest.pseudonyms import CPR_MASK, pseudonym
from testbench.lake.ingest.quarantine import quarantined_rows
from testkit.extract_files import write_csv

LAKE_KEY = "k" * 64
PSEUDONYM_KEY = "p" * 64
NOT_A_CPR = "310299-1234"  # 31 February: CPR-shaped but no one's number


def bef_file(path: Path, cprs: list[str]) -> Path:
    rows = [[c, "2", "1950-06-01", "751", "82"] for c in cprs]
    return write_csv(path, ["pnr", "koen", "foed_dag", "kom", "reg"], rows)


def everything_in(lake: Lake) -> str:
    """Every table's (tenant and catalogue) column names and values as one string."""
    parts = []
    with lake.connect(read_only=True) as con:
        for (name,) in con.execute("SHOW TABLES").fetchall():
            frame = con.execute(f'SELECT * FROM "{name}"').df()
            parts.append(" ".join(map(str, frame.columns)))
            parts.append(frame.astype(str).to_csv(index=False))
    return "\n".join(parts)


def leaked(cprs: list[str], text: str | bytes) -> list[int]:
    """Positions of the CPR numbers found in ``text``, with or without the dash."""
    found = []
    for i, cpr in enumerate(cprs):
        for form in (cpr, cpr.replace("-", "")):
            needle: str | bytes = form.encode() if isinstance(text, bytes) else form
            if needle in text:  # type: ignore[operator]
                found.append(i)
    return found


def test_danish_extract_is_checked_typed_and_pseudonymised(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(4)
    path = write_csv(
        tmp_path / "bef udtræk.csv",
        ["PNR", "Koen", "FOED_DAG", "kom", "REG", "note. fri tekst"],
        [
            [cprs[0], "1", "17-05-1941", "101", "84", "a;b"],
            [cprs[1].replace("-", ""), "2", "1950-01-02", "751", "82", ""],
            [cprs[2], "3", "02.03.1960", "851", "81", "x"],
            [cprs[3], "1", "01-01-1970", "101", "82", "y"],
        ],
    )
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    report = ingest_file(lake, PSEUDONYM_KEY, path, "bef", contract="bef", today=today)

    assert (report.rows_in_file, report.ingested, report.quarantined) == (4, 2, 2)
    assert report.reasons == {
        "koen: not a valid sex code, 1 male or 2 female (like 2)": 1,
        "kom: municipality not in the region given in reg": 1,
    }
    assert report.pseudonymised_columns == ["pnr"]
    assert report.primary_key == "pnr"
    bef = lake.read_table("bef")
    assert list(bef.columns) == ["pnr", "koen", "foed_dag", "kom", "reg", "note. fri tekst"]
    assert bef["pnr"].tolist() == [
        pseudonym(cprs[0], PSEUDONYM_KEY),
        pseudonym(cprs[1], PSEUDONYM_KEY),
    ]
    assert bef["koen"].tolist() == [1, 2]
    assert bef["foed_dag"].tolist() == [pd.Timestamp("1941-05-17"), pd.Timestamp("1950-01-02")]
    assert bef["note. fri tekst"].tolist() == ["a;b", None]
    assert lake.primary_keys() == {"bef": "pnr"}

    quarantine = lake.read_internal("quarantine_bef")
    assert quarantine is not None
    assert quarantine["tb_source_row"].tolist() == [3, 4]
    assert quarantine["pnr"].tolist() == [pseudonym(c, PSEUDONYM_KEY) for c in cprs[2:]]


def test_same_person_joins_across_sources_but_not_across_tenants(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(3, seed=1)
    bef = bef_file(tmp_path / "bef.csv", cprs)
    lab = write_csv(
        tmp_path / "lab.csv",
        ["patient_cpr", "samplingdate", "analysiscode", "value", "unit"],
        [[c.replace("-", ""), "2021-03-04", "NPU27300", "48", "mmol/mol"] for c in cprs],
    )
    lakes = {}
    for tenant_key in ("a" * 64, "b" * 64):
        lake = Lake(tmp_path / f"{tenant_key[0]}.duckdb", LAKE_KEY)
        ingest_file(lake, tenant_key, bef, "bef", contract="bef", today=today)
        report = ingest_file(lake, tenant_key, lab, "lab", contract="lab", today=today)
        assert report.relations == ["lab.patient_cpr -> bef.pnr"]
        assert report.quarantined == 0
        lakes[tenant_key[0]] = lake

    joined = lakes["a"].query("SELECT count(*) AS n FROM lab JOIN bef ON lab.patient_cpr = bef.pnr")
    assert joined["n"].tolist() == [3]
    assert lakes["a"].relations() == [Relation("lab", "patient_cpr", "bef", "pnr")]
    pseudonyms_a = set(lakes["a"].read_table("bef")["pnr"])
    pseudonyms_b = set(lakes["b"].read_table("bef")["pnr"])
    assert len(pseudonyms_a) == 3
    assert pseudonyms_a.isdisjoint(pseudonyms_b)


def test_no_clear_cpr_reaches_the_lake_file_or_quarantine(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(6, seed=2)
    path = write_csv(
        tmp_path / f"lab_{cprs[5].replace('-', '')}.csv",  # exports get named after people
        ["patient_cpr", "samplingdate", "analysiscode", "value"],
        [
            [cprs[0], "2020-01-01", "NPU27300", "42"],
            [cprs[1], "2020-01-01", "NPU27300", f"see {cprs[2]}"],  # a CPR number in free text
            [NOT_A_CPR, "2020-01-01", "NPU27300", "1"],  # not a valid CPR number
            [cprs[2], "2020-01-01", "XYZ", "1"],  # bad analysis code
            [cprs[3], "2020-01-01"],  # too few fields
            [cprs[4], "2020-01-01", "NPU27300", "1", cprs[5]],  # too many fields
        ],
    )
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    report = ingest_file(lake, PSEUDONYM_KEY, path, "lab", contract="lab", today=today)

    assert report.ingested + report.quarantined == report.rows_in_file == 6
    assert report.ingested == 1
    assert report.reasons["row: wrong number of fields (the header has 4)"] == 2
    quarantine = lake.read_internal("quarantine_lab")
    assert quarantine is not None
    by_row = quarantine.set_index("tb_source_row")
    assert by_row.loc[2, "value"] == CPR_MASK
    assert by_row.loc[3, "patient_cpr"] == CPR_MASK
    assert by_row.loc[4, "patient_cpr"] == pseudonym(cprs[2], PSEUDONYM_KEY)
    assert "value: looks like a CPR number" in by_row.loc[2, "tb_reason"]
    assert set(quarantine["tb_source_file"]) == {f"lab_{CPR_MASK}.csv"}

    assert leaked([*cprs, NOT_A_CPR], everything_in(lake)) == []
    lake_files = [p for p in tmp_path.iterdir() if p.name.startswith("lake.duckdb")]
    for lake_file in lake_files:
        assert leaked([*cprs, NOT_A_CPR], lake_file.read_bytes()) == []


def test_contract_foreign_keys_are_enforced_once_the_parent_is_in(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(3, seed=3)
    header = ["DW_EK_KONTAKT", "PNR", "KONT_STARTTIDSPUNKT", "KONT_SLUTTIDSPUNKT"]
    kontakt = write_csv(
        tmp_path / "kontakt.csv",
        header,
        [
            ["k1", cprs[0], "2020-01-01 08:00", "2020-01-01 09:30"],
            ["k2", cprs[2], "2020-02-01 08:00", ""],  # person not in bef
            ["k3", cprs[1], "2020-03-01 08:00", "2020-02-28 08:00"],  # ends before it starts
        ],
    )
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    first = ingest_file(lake, PSEUDONYM_KEY, kontakt, "lpr_a_kontakt", "lpr_a_kontakt", today=today)
    assert first.unchecked_foreign_keys == ["pnr -> bef.pnr"]
    assert first.relations == []
    assert first.quarantined == 1

    ingest_file(lake, PSEUDONYM_KEY, bef_file(tmp_path / "bef.csv", cprs[:2]), "bef", "bef")
    again = ingest_file(lake, PSEUDONYM_KEY, kontakt, "lpr_a_kontakt", "lpr_a_kontakt", today=today)
    assert again.reasons == {
        "kont_sluttidspunkt: before kont_starttidspunkt": 1,
        "pnr: no matching bef.pnr": 1,
    }
    assert lake.read_table("lpr_a_kontakt")["dw_ek_kontakt"].tolist() == ["k1"]

    diagnose = write_csv(
        tmp_path / "diagnose.csv",
        ["dw_ek_kontakt", "diag_kode", "diag_kode_type"],
        [["k1", "DI50", "A"], ["k9", "DE11", "A"], ["k1", "I50", "B"]],
    )
    report = ingest_file(lake, PSEUDONYM_KEY, diagnose, "lpr_a_diagnose", "lpr_a_diagnose")
    assert report.reasons == {
        "dw_ek_kontakt: no matching lpr_a_kontakt.dw_ek_kontakt": 1,
        "diag_kode: not a valid ICD-10 code with the D prefix (like DI50)": 1,
    }
    assert report.primary_key is None  # the file has no dw_ek_diagnose column
    assert set(lake.relations()) == {
        Relation("lpr_a_kontakt", "pnr", "bef", "pnr"),
        Relation("lpr_a_diagnose", "dw_ek_kontakt", "lpr_a_kontakt", "dw_ek_kontakt"),
    }


def test_any_table_with_declared_keys_and_inferred_types(
    tmp_path: Path, fake_cprs: Callable[..., list[str]]
) -> None:
    cprs = fake_cprs(5, seed=4)
    persons = pd.DataFrame(
        {
            "person id": pd.array([1, 2, 2, None, 3], dtype="Int64"),
            "Født dato": pd.to_datetime(["1950-01-01", "1960-02-02", None, "1970-03-03", None]),
            "score.value": [0.5, 1.5, 2.5, None, 3.0],
            "aktiv": [True, False, True, True, None],
            "cpr nr": cprs,
        }
    )
    persons.to_parquet(tmp_path / "persons.parquet")
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    report = ingest_file(
        lake, PSEUDONYM_KEY, tmp_path / "persons.parquet", "persons", primary_key="person id"
    )
    assert (report.ingested, report.quarantined) == (3, 2)
    assert report.reasons == {
        "person id: missing": 1,
        "person id: duplicate primary key (an earlier row has it)": 1,
    }
    assert report.pseudonymised_columns == ["cpr nr"]
    stored = lake.read_table("persons")
    assert stored["person id"].tolist() == [1, 2, 3]
    assert str(stored["Født dato"].dtype).startswith("datetime64")
    assert stored["score.value"].tolist() == [0.5, 1.5, 3.0]
    assert stored["aktiv"].tolist()[:2] == [True, False]
    assert stored["cpr nr"].tolist()[0] == pseudonym(cprs[0], PSEUDONYM_KEY)

    visits = write_csv(
        tmp_path / "visits.csv",
        ["visit.id", "person id", "when"],
        [["v1", "1", "2024-01-01"], ["v2", "3", "2024-01-02"], ["v3", "7", "2024-01-03"]],
        sep=",",
    )
    report = ingest_file(
        lake,
        PSEUDONYM_KEY,
        visits,
        "visits",
        primary_key="visit.id",
        foreign_keys=["person id:persons.person id"],
    )
    assert report.reasons == {"person id: no matching persons.person id": 1}
    assert Relation("visits", "person id", "persons", "person id") in lake.relations()

    with pytest.raises(UnknownParentTable, match="has no column 'pid'"):
        ingest_file(lake, PSEUDONYM_KEY, visits, "visits", foreign_keys=["person id:persons.pid"])
    with pytest.raises(UnknownParentTable, match="ingest 'nowhere' first"):
        ingest_file(lake, PSEUDONYM_KEY, visits, "visits", foreign_keys=["person id:nowhere.id"])


def test_reingest_changes_nothing_and_a_new_file_replaces_the_table(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["id", "x"], [["1", "a"], ["1", "b"], ["2", "c"]])
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    first = ingest_file(lake, PSEUDONYM_KEY, path, "t", primary_key="id")
    snapshot = (
        lake.table_hashes(),
        lake.read_internal("ingests"),
        lake.read_internal("quarantine_t"),
    )
    second = ingest_file(lake, PSEUDONYM_KEY, path, "t", primary_key="id")

    assert second.unchanged and not first.unchanged
    assert second.ingest_id == first.ingest_id and second.table_hash == first.table_hash
    assert lake.table_hashes() == snapshot[0]
    for before, after in zip(
        snapshot[1:], (lake.read_internal(n) for n in ("ingests", "quarantine_t")), strict=True
    ):
        pd.testing.assert_frame_equal(before, after)
    assert lake.read_table("t")["x"].tolist() == ["a", "c"]  # the first of a duplicate is kept
    assert quarantined_rows(lake) == {"t": 1}
    assert lake.tables() == ["t"]  # quarantine and log stay out of the tenant's tables

    other = write_csv(tmp_path / "t2.csv", ["id", "x"], [["3", "d"], ["3", "e"]])
    third = ingest_file(lake, PSEUDONYM_KEY, other, "t", primary_key="id")
    assert lake.read_table("t")["x"].tolist() == ["d"]
    fourth = ingest_file(lake, PSEUDONYM_KEY, path, "t", primary_key="id")  # the first file again
    assert not fourth.unchanged  # the table had changed since
    quarantine = lake.read_internal("quarantine_t")
    assert quarantine is not None
    # Each file's refused rows once: the first file's earlier ones were replaced, not doubled.
    assert sorted(
        zip(quarantine["tb_ingest_id"], quarantine["tb_source_row"], strict=True)
    ) == sorted([(third.ingest_id, 2), (fourth.ingest_id, 2)])


def test_errors_say_what_to_do(tmp_path: Path, fake_cprs: Callable[..., list[str]]) -> None:
    lake = Lake(tmp_path / "lake.duckdb", LAKE_KEY)
    good = write_csv(tmp_path / "bef.csv", ["pnr", "koen"], [["x", "1"]])

    with pytest.raises(UnknownContract, match="known contracts: bef, dod") as err:
        ingest_file(lake, PSEUDONYM_KEY, good, "bef", contract="cpr")
    assert all(name in str(err.value) for name in CONTRACTS)
    with pytest.raises(MissingColumn, match="no column 'foed_dag'"):
        ingest_file(lake, PSEUDONYM_KEY, good, "bef", contract="bef")
    with pytest.raises(MissingColumn, match="primary key column 'id'"):
        ingest_file(lake, PSEUDONYM_KEY, good, "t", primary_key="id")
    with pytest.raises(IngestError, match=r"COLUMN:PARENT_TABLE\.PARENT_COLUMN"):
        ingest_file(lake, PSEUDONYM_KEY, good, "t", foreign_keys=["pnr-bef"])
    with pytest.raises(IngestError, match="does not start with '_tb_'"):
        ingest_file(lake, PSEUDONYM_KEY, good, "_tb_relations")

    (tmp_path / "x.xlsx").write_bytes(b"PK")
    (tmp_path / "empty.csv").write_text("\n\n")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    for name, hint in [
        ("x.xlsx", "export the extract as .csv"),
        ("missing.csv", "check the path"),
        ("empty.csv", "needs a header row"),
        ("broken.parquet", "cannot read broken.parquet as Parquet"),
    ]:
        with pytest.raises(UnreadableFile, match=hint):
            ingest_file(lake, PSEUDONYM_KEY, tmp_path / name, "t")

    cpr = fake_cprs(1, seed=5)[0]
    headless = write_csv(tmp_path / "headless.csv", [cpr, "1"], [[cpr, "2"]])
    with pytest.raises(UnreadableFile, match="add a header row") as err:
        ingest_file(lake, PSEUDONYM_KEY, headless, "t")
    assert leaked([cpr], str(err.value)) == []
    assert not lake.path.exists()  # nothing was written by any of these
