from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from generators.relations import Relation
from testbench.lake import Lake
from testbench.lake.cohort import query_frames
from testbench.lake.errors import LakeEmpty, LakeError, QueryRefused


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake.duckdb", "k" * 64)
    persons = pd.DataFrame(
        {
            "pnr": ["p1", "p2", "p3"],
            "name": ["Jensen Mortensen"] * 3,
            "birth": pd.to_datetime(["1941-05-17"] * 3),
        }
    )
    contacts = pd.DataFrame({"id": [1, 2], "pnr": ["p1", "p3"], "diag kode": ["DI50", "DE11"]})
    lake._write_tables(
        {"persons": persons, "contacts": contacts},
        {"persons": "pnr", "contacts": "id"},
        [Relation("contacts", "pnr", "persons", "pnr")],
    )
    return lake


def test_round_trip_and_status(lake: Lake) -> None:
    assert lake.tables() == ["contacts", "persons"]
    assert list(lake.read_table("contacts").columns) == ["id", "pnr", "diag kode"]
    status = lake.status()
    assert [(t.name, t.rows, t.primary_key) for t in status.tables] == [
        ("contacts", 2, "id"),
        ("persons", 3, "pnr"),
    ]
    assert status.relations == [Relation("contacts", "pnr", "persons", "pnr")]


def test_file_is_encrypted(lake: Lake, tmp_path: Path) -> None:
    raw = lake.path.read_bytes()
    for plaintext in (b"DI50", b"DE11", b"Jensen", b"Mortensen", b"1941-05-17", b"diag kode"):
        assert plaintext not in raw
    with pytest.raises(LakeError, match="check the tenant key"):
        Lake(lake.path, "wrong-key").tables()


def test_cohort_sql_reads_lake_tables(lake: Lake) -> None:
    out = lake.query("SELECT pnr, count(*) AS n FROM contacts GROUP BY pnr ORDER BY pnr")
    assert out["n"].tolist() == [1, 1]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH '/tmp/other.duckdb' AS other",
        "COPY contacts TO '/tmp/leak.csv'",
        "SET enable_external_access = true",
    ],
)
def test_cohort_sql_cannot_leave_the_lake(lake: Lake, sql: str, tmp_path: Path) -> None:
    with pytest.raises(QueryRefused, match="may only read"):
        lake.query(sql)
    assert not Path("/tmp/leak.csv").exists()


def test_sql_error_is_reported_with_the_message(lake: Lake) -> None:
    with pytest.raises(LakeError, match="no_such_table"):
        lake.query("SELECT * FROM no_such_table")


def test_empty_lake_says_how_to_fill_it(tmp_path: Path) -> None:
    with pytest.raises(LakeEmpty, match="testbench lake simulate"):
        Lake(tmp_path / "none.duckdb", "k").query("SELECT 1")


def test_frames_get_the_same_lock_down() -> None:
    frames = {"t": pd.DataFrame({"x": [1, 2, 3]})}
    assert query_frames(frames, "SELECT sum(x) AS s FROM t")["s"].item() == 6
    with pytest.raises(QueryRefused):
        query_frames(frames, "SELECT * FROM read_csv('/etc/passwd')")


def test_columns_written_uncompressed_keep_their_types_rows_and_order(tmp_path: Path) -> None:
    """Ingestion stores CPR pseudonyms uncompressed and its few-valued text (Arrow
    dictionaries) with dictionary compression (both cheaper to write); nothing else changes."""
    frame = pd.DataFrame(
        {
            "pnr": [f"{i * 7919:016x}" for i in range(3000)],
            "kode": pd.Series(["DI50", None, "DE11"] * 1000, dtype=object),
            "dato": pd.to_datetime(["2020-01-02"] * 3000),
            "n": range(3000),
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(1, "kode", pc.dictionary_encode(table["kode"]))
    arrow = [table.slice(0, 1000), table.slice(1000)]
    frames = [frame.iloc[:1000], frame.iloc[1000:].reset_index(drop=True)]
    written = {}
    for name, batches, uncompressed in (
        ("frames", frames, ()),  # DuckDB chooses every compression
        ("plain", arrow, ()),
        ("raw", arrow, ("pnr",)),
    ):
        lake = Lake(tmp_path / f"{name}.duckdb", "k" * 64)
        with lake.transaction() as tx:
            assert tx.replace_table_batches("t", batches, "pnr", uncompressed) == 3000
        with lake.connect(read_only=True) as con:
            storage = con.execute(
                "SELECT DISTINCT column_name, compression FROM pragma_storage_info('lake.t') "
                "WHERE segment_type = 'VARCHAR'"
            ).fetchall()
            types = con.execute("DESCRIBE lake.t").fetchall()
        written[name] = (lake.read_table("t"), types, dict(storage), lake.status().tables[0])
    (plain, plain_types, plain_storage, plain_status) = written["plain"]
    (raw, raw_types, raw_storage, raw_status) = written["raw"]
    pd.testing.assert_frame_equal(raw, plain)
    pd.testing.assert_frame_equal(raw, written["frames"][0])
    assert plain["kode"].tolist() == frame["kode"].tolist()
    assert raw_types == plain_types == written["frames"][1]
    assert raw_status.primary_key == plain_status.primary_key == "pnr"
    assert raw_storage["pnr"] == "Uncompressed" != plain_storage["pnr"]
    assert raw_storage["kode"] == plain_storage["kode"] == "DICT_FSST"
