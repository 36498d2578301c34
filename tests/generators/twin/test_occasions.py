"""Occasions, series and sets: rows a person got together are split off and joined back exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.occasions import KEY, find_occasions, join_occasions, split_occasions

PERSONS = Relation("tests", "person", "persons", "person")
DRUGS = Relation("drugs", "person", "persons", "person")


def _lake(seed: int = 0, n: int = 200) -> dict[str, pd.DataFrame]:
    """Persons; blood tests in panels of 2-5 analyses on one day; refills of 1-2 drugs."""
    rng = np.random.default_rng(seed)
    persons = pd.DataFrame(
        {"person": [f"p{i:04d}" for i in range(n)], "age": rng.integers(20, 90, n)}
    )
    tests = []
    for person, age in persons.itertuples(index=False):
        for _ in range(rng.poisson(age / 20)):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 1500)))
            for code in rng.choice(["HB", "CRP", "NA", "K", "CREA"], rng.integers(2, 6), False):
                tests.append((person, day, code, float(rng.normal(10, 2))))
    drugs = []
    for person in persons["person"]:
        for atc in rng.choice(["A10BA02", "C10AA01", "J01CE02", "N02BE01"], rng.integers(1, 3)):
            pack = {"A10BA02": 100.0, "C10AA01": 98.0, "J01CE02": 20.0, "N02BE01": 50.0}[atc]
            start = int(rng.integers(0, 1000))
            for refill in range(int(rng.integers(1, 9))):
                day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=start + 90 * refill)
                drugs.append((person, day, atc, pack, int(rng.integers(1, 3))))
    return {
        "persons": persons,
        "tests": pd.DataFrame(tests, columns=["person", "taken", "code", "value"]),
        "drugs": pd.DataFrame(drugs, columns=["person", "dispensed", "atc", "pack", "packs"]),
    }


def test_rows_of_one_day_are_occasions_and_refills_of_one_drug_a_series() -> None:
    lake = _lake()
    found = {o.table: o for o in find_occasions(lake, [PERSONS, DRUGS], {"persons": "person"})}
    assert found["tests"].kind == "occasion" and found["tests"].by == ("taken",)
    # A sample holds each analysis once: the analyses are its panel.
    assert found["tests"].panel == "code" and len(found["tests"].codes) == 5
    # Refills: one drug per series, with the pack size it fixes; the number of packs varies.
    assert found["drugs"].kind == "series" and found["drugs"].by == ("atc",)
    assert "pack" in found["drugs"].moved and "packs" not in found["drugs"].moved


def test_a_table_of_independent_rows_is_left_alone() -> None:
    rng = np.random.default_rng(1)
    persons = pd.DataFrame({"person": [f"p{i}" for i in range(100)]})
    rows = pd.DataFrame(
        {
            "person": rng.choice(persons["person"], 400),
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3000, 400), "D"),
            "code": rng.choice([f"C{i}" for i in range(30)], 400),
        }
    )
    lake = {"persons": persons, "rows": rows}
    relation = Relation("rows", "person", "persons", "person")
    assert find_occasions(lake, [relation], {"persons": "person"}) == []


def test_split_then_join_gives_back_the_table() -> None:
    lake = _lake(2)
    relations = [PERSONS, DRUGS]
    found = find_occasions(lake, relations, {"persons": "person"})
    tables, split_relations, keys = split_occasions(lake, relations, {"persons": "person"}, found)
    # Five analyses, each frequent: a table per analysis under the occasion, none left over.
    panels = {f"__panel{i}__tests" for i in range(5)}
    assert set(tables) == {"persons", "__occasions__tests", "__series__drugs", "drugs"} | panels
    assert keys["__occasions__tests"] == KEY
    assert Relation("__panel0__tests", KEY, "__occasions__tests", KEY) in split_relations
    assert {"taken", "person"}.isdisjoint(tables["__panel0__tests"].columns)
    assert tables["__panel0__tests"]["code"].nunique() == 1
    joined = join_occasions(tables, found)
    for name in ("tests", "drugs"):
        assert list(joined[name].columns) == list(lake[name].columns)
        assert dict(joined[name].dtypes) == dict(lake[name].dtypes)
        order = list(lake[name].columns)
        pd.testing.assert_frame_equal(
            joined[name].sort_values(order).reset_index(drop=True),
            lake[name].sort_values(order).reset_index(drop=True),
        )


@settings(max_examples=40, deadline=None)
@given(
    owners=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=2, max_size=40),
    days=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=40, max_size=40),
    codes=st.lists(st.sampled_from(["x", "y", "z"]), min_size=40, max_size=40),
)
def test_split_and_join_keep_every_row_whatever_the_values(owners, days, codes) -> None:
    n = len(owners)
    when = pd.to_datetime(
        [None if d is None else pd.Timestamp("2021-01-01") + pd.Timedelta(days=d) for d in days[:n]]
    )
    table = pd.DataFrame({"owner": owners, "when": when, "code": codes[:n], "x": np.arange(n)})
    lake = {"people": pd.DataFrame({"owner": ["a", "b", "c"]}), "rows": table}
    relation = Relation("rows", "owner", "people", "owner")
    found = find_occasions(lake, [relation], {"people": "owner"}, min_rows=1.0, min_repeat=1.0)
    tables, _, _ = split_occasions(lake, [relation], {"people": "owner"}, found)
    joined = join_occasions(tables, found)["rows"].sort_values("x").reset_index(drop=True)
    pd.testing.assert_frame_equal(joined, table)


@pytest.fixture(scope="module")
def twins() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    lake = _lake(3, n=300)
    relations, keys = [PERSONS, DRUGS], {"persons": "person"}
    on = TwinBuilder(seed=1).fit(lake, relations, keys)
    off = TwinBuilder(seed=1, occasions=False, habits=False).fit(lake, relations, keys)
    return lake, on.sample(), off.sample()


def _rows_per_day(frame: pd.DataFrame) -> float:
    return float(frame.groupby(["person", "taken"]).size().mean())


def _drugs_per_person(frame: pd.DataFrame) -> float:
    return float(frame.groupby("person")["atc"].nunique().mean())


def test_the_twin_keeps_panels_on_one_day_and_refills_of_few_drugs(twins) -> None:
    real, twin, independent = twins
    assert set(twin) == set(real)
    for name in real:
        assert list(twin[name].columns) == list(real[name].columns)
    assert twin["tests"]["person"].isin(twin["persons"]["person"]).all()
    # Real: about 3.5 analyses per blood sample. Rows drawn one by one have a day each.
    assert _rows_per_day(independent["tests"]) < 1.3
    assert _rows_per_day(twin["tests"]) == pytest.approx(_rows_per_day(real["tests"]), rel=0.25)
    # Real: 1-2 drugs per person, refilled; drawn one by one, a person gets most of the four.
    assert _drugs_per_person(twin["drugs"]) == pytest.approx(
        _drugs_per_person(real["drugs"]), rel=0.25
    )
    assert _drugs_per_person(independent["drugs"]) > 1.25 * _drugs_per_person(real["drugs"])
    # The pack size is the drug's own in every twin row (it moved to the series).
    packs = real["drugs"].drop_duplicates("atc").set_index("atc")["pack"]
    assert (twin["drugs"]["pack"] == twin["drugs"]["atc"].map(packs)).all()


def test_a_seed_gives_the_same_twin() -> None:
    lake = _lake(4, n=120)
    relations, keys = [PERSONS, DRUGS], {"persons": "person"}
    first = TwinBuilder(seed=5).fit(lake, relations, keys).sample()
    second = TwinBuilder(seed=5).fit(lake, relations, keys).sample()
    for name in lake:
        pd.testing.assert_frame_equal(first[name], second[name])


def _diagnosed(seed: int, n: int = 1500) -> dict[str, pd.DataFrame]:
    """Persons with the first date of each of their diagnoses (each at most once): diabetes
    mostly with hypertension and, after it, a later kidney disease; a few rare codes."""
    rng = np.random.default_rng(seed)
    persons = pd.DataFrame({"person": np.arange(n), "age": rng.integers(30, 90, n)})
    rows = []
    for person, age in persons.itertuples(index=False):
        day = pd.Timestamp("2010-01-01") + pd.Timedelta(days=int(rng.integers(0, 3000)))
        diabetic = rng.random() < age / 150
        if diabetic:
            rows.append((person, day, "diabetes"))
            if rng.random() < 0.8:
                rows.append((person, day + pd.Timedelta(days=int(rng.integers(0, 400))), "htn"))
            if rng.random() < 0.5:
                later = day + pd.Timedelta(days=int(rng.integers(200, 2000)))
                rows.append((person, later, "ckd"))
        elif rng.random() < 0.2:
            rows.append((person, day, "htn"))
        if rng.random() < 0.3:
            rows.append((person, day + pd.Timedelta(days=int(rng.integers(-900, 900))), "copd"))
        if rng.random() < 0.01:
            rows.append((person, day, f"rare{rng.integers(0, 3)}"))
    return {"persons": persons, "dx": pd.DataFrame(rows, columns=["person", "date", "code"])}


def test_a_persons_diagnoses_are_drawn_as_a_set_without_repeats_and_keep_going_together() -> None:
    lake = _diagnosed(0)
    relation = Relation("dx", "person", "persons", "person")
    [found] = find_occasions(lake, [relation], {"persons": "person"})
    assert found.kind == "set" and found.panel == "code"
    assert set(found.codes) == {"ckd", "copd", "diabetes", "htn"}  # rare codes stay rows
    keys = {"persons": "person"}

    def drawn(**options: bool) -> pd.DataFrame:
        return TwinBuilder(seed=0, **options).fit(lake, [relation], keys).sample(seed=0)["dx"]

    def share(frame: pd.DataFrame, code: str, given: str) -> float:
        held = frame.groupby("person")["code"].agg(set)
        with_given = held[held.map(lambda codes: given in codes)]
        return float(with_given.map(lambda codes: code in codes).mean())

    dx, rows, latent = drawn(), drawn(occasions=False), drawn(latent=True)
    assert list(dx.columns) == ["person", "date", "code"]
    for twin in (dx, latent):
        assert not twin[twin["code"].isin(found.codes)].duplicated(["person", "code"]).any()
    # Drawn row by row, a person's repeats are redrawn (constraints.distinct_per_parent),
    # but what goes together is lost (below).
    assert not rows.duplicated(["person", "code"]).any()
    # Kidney disease comes with diabetes (half the diabetics; none without). Row by row the
    # twin kept 0.17 of it; as a set 0.28 with SDV's copula, 0.46 with latent correlations.
    # Row by row with a person's repeats redrawn given the person, 0.36.
    real = share(lake["dx"], "ckd", "diabetes")
    assert share(dx, "ckd", "diabetes") > 0.22
    assert share(rows, "ckd", "diabetes") > 0.22
    assert abs(share(latent, "ckd", "diabetes") - real) < 0.1


def test_a_set_splits_and_joins_back_to_the_same_rows() -> None:
    lake = _diagnosed(1, n=400)
    relation = Relation("dx", "person", "persons", "person")
    found = find_occasions(lake, [relation], {"persons": "person"})
    tables, relations, _ = split_occasions(lake, [relation], {"persons": "person"}, found)
    assert {r.child_table for r in relations} == {"dx", *found[0].virtual_tables()}
    assert "dx" in tables and all(tables[t]["person"].is_unique for t in found[0].virtual_tables())
    back = join_occasions(tables, found)["dx"]
    key = ["person", "date", "code"]
    expected = lake["dx"].sort_values(key).reset_index(drop=True)
    assert back.sort_values(key).reset_index(drop=True).equals(expected)
