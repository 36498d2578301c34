"""Contracts, CPR pseudonyms, types and file reading, without a lake (fast).

Every CPR number here is made up by `fake_cprs` or built from random digits in
the test; none is pasted in.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testbench.lake.ingest import pseudonyms as pseudonyms_module
from testbench.lake.ingest.careful_reader import read_extract
from testbench.lake.ingest.column_types import ColumnType, infer_type, parse
from testbench.lake.ingest.contracts import CONTRACTS, ForeignKey, get_contract
from testbench.lake.ingest.errors import IngestError, MissingColumn
from testbench.lake.ingest.planning import parse_foreign_key, plan_table
from testbench.lake.ingest.pseudonyms import CPR_MASK, cpr_digits, pseudonym
from testbench.lake.ingest.row_checks import REASON, SOURCE_ROW, CheckedRows, _Problems, check_rows
from testkit.extract_files import write_csv

KEY = "p" * 64
NOT_A_CPR = "310299-1234"  # 31 February: CPR-shaped but no one's number


def base_row(source: str, cpr: str) -> dict[str, str]:
    """A row each contract accepts."""
    return {
        "bef": {"pnr": cpr, "koen": "1", "foed_dag": "1950-01-01", "kom": "101", "reg": "84"},
        "dod": {"pnr": cpr, "doddato": "02-01-2020"},
        "lpr_a_kontakt": {
            "dw_ek_kontakt": "1",
            "pnr": cpr,
            "kont_starttidspunkt": "2020-01-01 08:00",
            "kont_sluttidspunkt": "2020-01-01 09:00",
            "kont_type": "ALCA00",
        },
        "lpr_a_diagnose": {"dw_ek_kontakt": "1", "diag_kode": "DI500", "diag_kode_type": "A"},
        "lpr_a_procregistrering": {
            "dw_ek_procedureregistrering": "1",
            "dw_ek_kontakt": "1",
            "proc_kode": "KNFB02",
            "proc_starttidspunkt": "01-01-2020 10:00",
        },
        "epj_observation": {
            "observation_id": "1",
            "dw_ek_kontakt": "1",
            "observation": "BT_SYS",
            "observation_tidspunkt": "2020-01-01T08:05:00",
            "vaerdi": "140",
        },
        "lmdb": {"pnr": cpr, "eksd": "01JAN2020", "atc": "A10BA02", "vnr": "084437", "apk": "1"},
        "lab": {
            "patient_cpr": cpr,
            "samplingdate": "2020-01-01",
            "analysiscode": "NPU27300",
            "value": "48",
            "referenceinterval_upperlimit": "48,0",
        },
        "fsiii_tilstand": {
            "pnr": cpr,
            "tilstand_kode": "J1.1",
            "svaerhedsgrad": "2",
            "vurderingsdato": "2020-01-01",
        },
        "fsiii_indsats": {
            "indsats_id": "1",
            "pnr": cpr,
            "indsats_kode": "H1.11",
            "paragraf": "83",
            "startdato": "01.01.2020",
            "slutdato": "",
        },
    }[source]


def check_file(path: Path, source: str | None, today: date) -> tuple[int, CheckedRows]:
    """Read, plan and check a file as ingestion does, without a lake."""
    extract = read_extract(path)
    contract = get_contract(source) if source else None
    plan, frame, _ = plan_table(
        extract.frame, contract, None, [], path.name, today, list(extract.field_counts.index)
    )
    return extract.rows, check_rows(frame, plan, KEY, {}, extract.field_counts, today)


def check_row(tmp_path: Path, source: str, row: dict[str, str], today: date) -> CheckedRows:
    path = write_csv(tmp_path / f"{source}.csv", list(row), [list(row.values())])
    return check_file(path, source, today)[1]


# -- contracts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_every_contract_accepts_a_good_row(
    tmp_path: Path, source: str, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    checked = check_row(tmp_path, source, base_row(source, fake_cprs(1)[0]), today)
    assert checked.reasons == {}
    assert len(checked.table) == 1


@pytest.mark.parametrize(
    ("source", "column"),
    [(s, r.name) for s, c in sorted(CONTRACTS.items()) for r in c.columns if r.required],
)
def test_a_missing_required_column_is_named(
    tmp_path: Path, source: str, column: str, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    row = base_row(source, fake_cprs(1)[0])
    del row[column]
    with pytest.raises(MissingColumn, match=f"no column '{column}'"):
        check_row(tmp_path, source, row, today)


CPR = "{cpr}"  # stands for a fake CPR number in the cases below

BAD_VALUES = [
    ("bef", "pnr", NOT_A_CPR, "pnr: not a valid CPR number"),
    ("bef", "pnr", "", "pnr: missing"),
    ("bef", "koen", "x", "koen: not a whole number"),
    ("bef", "koen", "3", "koen: not a valid sex code"),
    ("bef", "foed_dag", "31-02-2000", "foed_dag: not a date"),
    ("bef", "foed_dag", "2030-01-01", "foed_dag: in the future"),
    ("bef", "foed_dag", "1899-12-31", "foed_dag: before 1900"),
    ("bef", "kom", "999", "kom: not a valid municipality code"),
    ("bef", "reg", "86", "reg: not a valid region code 81-85"),
    ("bef", "reg", "81", "kom: municipality not in the region given in reg"),
    ("dod", "doddato", "", "doddato: missing"),
    ("lpr_a_kontakt", "kont_starttidspunkt", "2020-13-01 08:00", "kont_starttidspunkt: not a date"),
    ("lpr_a_kontakt", "kont_sluttidspunkt", "31-12-2019 23:00", "kont_sluttidspunkt: before kont_"),
    ("lpr_a_kontakt", "kont_type", CPR, "kont_type: looks like a CPR number"),
    ("lpr_a_diagnose", "diag_kode", "I50", "diag_kode: not a valid ICD-10 code"),
    ("lpr_a_diagnose", "diag_kode", "DI50.1", "diag_kode: not a valid ICD-10 code"),
    ("lpr_a_procregistrering", "proc_starttidspunkt", "i går", "proc_starttidspunkt: not a date"),
    ("epj_observation", "vaerdi", "høj", "vaerdi: not a number"),
    ("epj_observation", "observation_tidspunkt", "2026-01-01 00:00", "observation_tidspunkt: in"),
    ("lmdb", "atc", "A10BA2", "atc: not a valid ATC code"),
    ("lab", "analysiscode", "NPU1234", "analysiscode: not a valid NPU code"),
    ("lab", "value", f"pt. {CPR}", "value: looks like a CPR number"),
    ("fsiii_tilstand", "svaerhedsgrad", "5", "svaerhedsgrad: not a valid FSIII severity"),
    ("fsiii_indsats", "indsats_kode", "H1", "indsats_kode: not a valid FSIII code"),
    ("fsiii_indsats", "slutdato", "31-12-2019", "slutdato: before startdato"),
]


@pytest.mark.parametrize(("source", "column", "value", "reason"), BAD_VALUES)
def test_each_contract_check_quarantines_with_its_reason(
    tmp_path: Path,
    source: str,
    column: str,
    value: str,
    reason: str,
    fake_cprs: Callable[..., list[str]],
    today: date,
) -> None:
    person, stray = fake_cprs(2, seed=9)
    row = base_row(source, person)
    row[column] = value.replace(CPR, stray)
    checked = check_row(tmp_path, source, row, today)
    assert len(checked.table) == 0
    assert [r for r in checked.reasons if r.startswith(reason)], list(checked.reasons)
    assert checked.quarantine[SOURCE_ROW].tolist() == [1]
    assert reason in checked.quarantine[REASON].iloc[0]
    shown = " ".join(checked.quarantine.astype(str).iloc[0])
    assert person not in shown and stray not in shown


def test_pseudonyms_pass_through_and_first_duplicate_key_is_kept(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(2, seed=10)
    already = pseudonym(cprs[1], KEY)  # e.g. the simulator's pnr, or a re-ingested table
    rows = [[cprs[0], "1", "1950-01-01"], [already, "2", "1960-01-01"], [cprs[0], "2", "x"]]
    rows.append([cprs[0].replace("-", ""), "2", "1970-01-01"])
    path = write_csv(tmp_path / "bef.csv", ["pnr", "koen", "foed_dag"], rows)
    _, checked = check_file(path, "bef", today)
    assert checked.table["pnr"].tolist() == [pseudonym(cprs[0], KEY), already]
    assert checked.reasons == {
        "foed_dag: not a date (like 2020-12-31 or 31-12-2020)": 1,
        "pnr: duplicate primary key (an earlier row has it)": 1,
    }
    assert checked.quarantine[SOURCE_ROW].tolist() == [3, 4]


def test_cpr_columns_are_found_without_a_contract(
    tmp_path: Path, fake_cprs: Callable[..., list[str]], today: date
) -> None:
    cprs = fake_cprs(3, seed=13)
    rows = [[f"S{i}", cpr.replace("-", ""), "1"] for i, cpr in enumerate(cprs)]
    path = write_csv(tmp_path / "own.csv", ["pnr", "kunde", "score"], rows)
    extract = read_extract(path)
    plan, _, _ = plan_table(extract.frame, None, None, [], path.name, today)
    # "pnr" holds the SME's own study ids, "kunde" holds CPR numbers under a neutral name.
    assert plan.cpr_columns == ["kunde"]
    _, checked = check_file(path, None, today)
    assert checked.table["kunde"].tolist() == [pseudonym(c, KEY) for c in cprs]
    assert checked.table["pnr"].tolist() == ["S0", "S1", "S2"]


def test_a_file_with_only_a_header_gives_an_empty_typed_table(tmp_path: Path, today: date) -> None:
    path = tmp_path / "bef.csv"
    path.write_text("pnr;koen;foed_dag\n")
    rows, checked = check_file(path, "bef", today)
    assert rows == 0
    assert len(checked.table) == len(checked.quarantine) == 0
    assert str(checked.table["koen"].dtype) == "Int64"


def test_declared_keys_are_resolved_and_must_agree_with_the_contract(today: date) -> None:
    columns = ["a:b", "x.y", "pnr"]
    assert parse_foreign_key("x.y:persons.person id", columns, ["persons"]) == ForeignKey(
        "x.y", "persons", "person id"
    )
    assert parse_foreign_key("a:b:persons.id", columns, ["persons"]) == ForeignKey(
        "a:b", "persons", "id"
    )
    frame = pd.DataFrame({"PNR": [None], "koen": ["1"], "foed_dag": ["1950-01-01"]}, dtype=object)
    plan, _, _ = plan_table(frame, None, "pnr", [], "f.csv", today)
    assert plan.primary_key == "PNR"
    with pytest.raises(IngestError, match="declares the primary key 'pnr'"):
        plan_table(frame, get_contract("bef"), "koen", [], "f.csv", today)


# -- pseudonyms --------------------------------------------------------------------------------


def test_pseudonym_is_the_truncated_hmac_of_the_normalised_cpr(
    fake_cprs: Callable[..., list[str]],
) -> None:
    cpr = fake_cprs(1, seed=11)[0]
    digits = cpr.replace("-", "")
    expected = hmac.new(KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()[:16]
    assert pseudonym(cpr, KEY) == pseudonym(digits, KEY) == pseudonym(f" {cpr} ", KEY) == expected
    assert pseudonym(cpr, "q" * 64) != expected
    with pytest.raises(ValueError, match="not a valid CPR number") as err:
        pseudonym(NOT_A_CPR, KEY)
    assert NOT_A_CPR not in str(err.value)


def test_cpr_century_rule_and_future_births() -> None:
    rng = random.Random(12)
    serial = [f"{rng.randrange(1000):03d}" for _ in range(10)]
    leap_2000 = pd.Series([f"290200-{d}{serial[d]}" for d in range(10)], dtype=object)
    # 29 February 1900 did not exist; 29 February 2000 did. Digits 0-3 mean the 1900s.
    assert cpr_digits(leap_2000).notna().tolist() == [False] * 4 + [True] * 6
    born_2050 = pd.Series([f"010150-5{serial[0]}"], dtype=object)
    assert cpr_digits(born_2050, today=date(2025, 1, 1)).isna().all()
    shapes = pd.Series(["0101501234x", "010150-12345", "01015-01234", None], dtype=object)
    assert cpr_digits(shapes).isna().all()


CPR_ISH = st.one_of(
    st.none(),
    st.text(st.sampled_from("0123456789-+ \t\x1c\u00a0\u0661x"), min_size=8, max_size=13),
    st.sampled_from(["290200-4123", "0102031234", " 010203-1234\t", "\u00a00102031234"]),
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(CPR_ISH, max_size=20))
def test_cpr_numbers_are_found_alike_as_bytes_and_as_text(values: list[str | None]) -> None:
    """The byte-array route for ASCII text finds what the string route finds."""
    series, day = pd.Series(values, dtype=object), date(2025, 6, 1)
    fast = pseudonyms_module._digits_of(series, day)
    assert fast.tolist() == pseudonyms_module._digits_of_text(series, day).tolist()
    distinct = series.dropna().drop_duplicates().reset_index(drop=True)
    assert cpr_digits(distinct, day, distinct=True).tolist() == cpr_digits(distinct, day).tolist()


# -- types -------------------------------------------------------------------------------------


def test_danish_and_iso_dates_and_times_parse_alike() -> None:
    dates = ["31-12-2020", "31.12.2020", "31/12/2020", "31DEC2020", "20201231", "2020-12-31"]
    parsed = parse(pd.Series(dates, dtype=object), ColumnType.DATE)
    assert not parsed.bad.any()
    assert set(parsed.values) == {pd.Timestamp("2020-12-31")}
    stamps = ["31-12-2020 08:30", "2020-12-31T08:30:00", "31DEC2020:08:30:00", "2020-12-31T07:30Z"]
    parsed = parse(pd.Series(stamps, dtype=object), ColumnType.TIMESTAMP)
    assert not parsed.bad.any()
    assert set(parsed.values) == {pd.Timestamp("2020-12-31 08:30")}  # UTC shown in Danish time
    assert parse(pd.Series(["2020-12-31 08:30"]), ColumnType.DATE).bad.all()  # not a date


def test_numbers_are_not_silently_coerced() -> None:
    ints = parse(pd.Series(["12", "12.0", "1e3", "12,5", "9" * 20], dtype=object), ColumnType.INT)
    assert ints.bad.tolist() == [False, False, True, True, True]
    floats = parse(pd.Series(["3,5", "3.5", "1.234,5", "abc"], dtype=object), ColumnType.FLOAT)
    assert floats.values.tolist()[:2] == [3.5, 3.5]
    assert floats.bad.tolist() == [False, False, True, True]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "22", None], ColumnType.INT),
        (["084437", "145367"], ColumnType.TEXT),  # leading zero: a product number, not 84437
        (["1", "2,5"], ColumnType.FLOAT),
        (["31-12-2020", None], ColumnType.DATE),
        (["2020-12-31 08:30", "2020-12-31"], ColumnType.TIMESTAMP),
        (["true", "FALSE"], ColumnType.BOOL),
        (["1", "2", "n/a"], ColumnType.TEXT),  # one stray value keeps the column as text
        ([None, None], ColumnType.TEXT),
    ],
)
def test_types_are_inferred_only_when_every_value_fits(
    values: list[str | None], kind: ColumnType
) -> None:
    assert infer_type(pd.Series(values, dtype=object)) is kind


# -- reading files -----------------------------------------------------------------------------


def test_csv_dialects_are_detected(tmp_path: Path) -> None:
    header = ["pnr.kode", "fri tekst", "beløb"]
    rows = [["a", "x;y, z", "3,5"], ["b", "", "NA"]]
    semicolon = write_csv(tmp_path / "a.csv", header, rows, sep=";")
    comma = write_csv(tmp_path / "b.csv", header, rows, sep=",")
    latin = tmp_path / "c.csv"
    latin.write_bytes(semicolon.read_text(encoding="utf-8").encode("latin-1"))
    bom = tmp_path / "d.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + semicolon.read_bytes() + b"\r\n\r\n")
    for path in (semicolon, comma, latin, bom):
        extract = read_extract(path)
        assert list(extract.frame.columns) == header
        assert extract.frame.to_dict("list") == {
            "pnr.kode": ["a", "b"],
            "fri tekst": ["x;y, z", None],
            "beløb": ["3,5", None],
        }
        assert extract.frame.index.tolist() == [1, 2]
    assert read_extract(comma).delimiter == ","
    assert read_extract(semicolon).delimiter == ";"


def test_rows_with_the_wrong_number_of_fields_are_flagged(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a;b;c\n1;2;3\n\n1;2\n1;2;3;4\n   \n")
    extract = read_extract(path)
    assert extract.rows == 4  # the empty line is no row; the line of spaces is one
    assert extract.field_counts.to_dict() == {2: 2, 3: 4, 4: 1}
    assert extract.frame.loc[3].tolist() == ["1", "2", "3"]


def test_parquet_values_are_read_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None], dtype="Int64"),
            "x": [1.5, None],
            "d": pd.to_datetime(["2020-01-02", None]),
            "code": ["084437", None],
        }
    )
    frame.to_parquet(tmp_path / "t.parquet")
    extract = read_extract(tmp_path / "t.parquet")
    assert extract.frame.loc[1].tolist() == ["1", "1.5", "2020-01-02 00:00:00.000000000", "084437"]
    assert extract.frame.loc[2].isna().all()


# -- every row ingested or quarantined ---------------------------------------------------------

HEADERS = {
    "bef": ["pnr", "koen", "foed_dag", "kom", "reg"],
    "lab": ["patient_cpr", "samplingdate", "analysiscode", "value"],
    None: ["pnr", "a col", "b.col"],
}
TRICKY = ["", " ", "NA", ".", "1", "2", "101", "84", "1950-01-01", "31-02-2000", "DI50"]
TRICKY += ["NPU27300", 'x;"y', "a\nb", "æøå", "3,5", "2099-01-01", NOT_A_CPR]


# Cells: text (at most 8 characters, so never a CPR number), tricky values, or an int i
# standing for fake CPR number i, made inside the test so a failing example never shows one.
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
CELL = st.one_of(TEXT, st.sampled_from(TRICKY), st.integers(0, 7))
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=6), max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, seed=st.integers(0, 10_000), source=st.sampled_from(["bef", "lab", None]))
@pytest.mark.heavy  # 60 hypothesis examples, each a full ingestion
def test_every_row_is_ingested_or_quarantined_and_no_cpr_survives(
    rows: list[list[str | int]],
    seed: int,
    source: str | None,
    fake_cprs: Callable[..., list[str]],
    today: date,
) -> None:
    with_dash = fake_cprs(4, seed=seed)
    cprs = with_dash + [c.replace("-", "") for c in with_dash]
    cells = [[cprs[c] if isinstance(c, int) else c for c in row] for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "messy.csv", HEADERS[source], cells)
        rows_in_file, checked = check_file(path, source, today)
    assert rows_in_file == len(rows)
    assert len(checked.table) + len(checked.quarantine) == rows_in_file
    refused = checked.quarantine[SOURCE_ROW].tolist()
    assert len(set(refused)) == len(refused)
    assert set(refused) <= set(range(1, rows_in_file + 1))
    everything = checked.table.astype(str).to_csv() + checked.quarantine.astype(str).to_csv()
    assert [i for i, c in enumerate(cprs) if c in everything] == []
    for column in set(checked.quarantine.columns) & {"pnr", "patient_cpr"} if source else ():
        shown = checked.quarantine[column].dropna()
        assert shown.str.fullmatch(f"[0-9a-f]{{16}}|{CPR_MASK.replace('*', '[*]')}").all()


@pytest.mark.parametrize("reasons", [3, 70])  # few reasons, and more than fit in one integer
def test_each_quarantined_row_lists_its_reasons_in_check_order(reasons: int) -> None:
    rng = np.random.default_rng(reasons)
    problems = _Problems(500)
    for i in range(reasons):
        problems.add(f"c{i}: problem", rng.random(500) < 0.1)
    positions = np.flatnonzero(problems.failed())
    index, texts = problems.reason_patterns(positions)
    expected = ["; ".join(r for r, m in problems.masks.items() if m[p]) for p in positions]
    assert [texts[i] for i in index] == expected
