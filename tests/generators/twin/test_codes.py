"""Code lists drawn by forests: a rare diagnosis of the old stays a diagnosis of the old."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.anchors import NONE, Anchor, TargetAnchors, code_columns, label_rows
from generators.twin.codes import code_lists, fit_code_models, fixed_by_parent
from testkit.lakes import contact_lake, pseudonyms

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2016-01-01")
RARE = "DS720"  # a fracture: 1 in 100 diagnoses, all at 80 or over
BIRTH = "DO800"  # a birth: 1 in 50 diagnoses, women aged 20 to 40 only


@pytest.fixture(scope="module")
def diagnosis_lake() -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """Persons, their contacts and one diagnosis per contact from a list of 30 codes.

    Each code has its own typical age; the rare code is given only at 80 or over, the
    birth only to women of 20 to 40 (what a copula's one axis per column cannot hold).
    """
    rng = np.random.default_rng(4)
    n = 2500
    ids = pseudonyms(rng, n)
    born = pd.DatetimeIndex(START - rng.integers(18 * 365, 95 * 365, n) * DAY)
    persons = pd.DataFrame({"pid": ids, "born": born, "sex": rng.choice(["F", "M"], n)})
    per_person = rng.poisson(4, n) + 1
    m = int(per_person.sum())
    owner = np.repeat(np.arange(n), per_person)
    start = pd.DatetimeIndex(START + rng.integers(0, 6 * 365, m) * DAY)
    contacts = pd.DataFrame(
        {
            "cid": np.arange(1, m + 1),
            "pid": ids[owner],
            "start": start,
            "kind": rng.choice(["ALCA00", "ALCA03", "ALCA10"], m, p=[0.8, 0.15, 0.05]),
        }
    )
    age = (start - born[owner]).days.to_numpy() / 365.25
    codes = np.array([f"D{chr(65 + i // 10)}{i % 10}" for i in range(29)], dtype=object)
    centre = np.linspace(20, 90, len(codes))  # code i is typical of persons near centre[i]
    weights = np.exp(-(((age[:, None] - centre[None, :]) / 12.0) ** 2))
    weights /= weights.sum(axis=1, keepdims=True)
    drawn = codes[(weights.cumsum(axis=1) < rng.random(m)[:, None]).sum(axis=1)]
    old = np.flatnonzero(age >= 80)
    fractured = rng.choice(old, size=max(m // 100, 1), replace=False)
    drawn[fractured] = RARE
    mothers = np.flatnonzero(
        (age >= 20) & (age <= 40) & (persons["sex"].to_numpy()[owner] == "F") & (drawn != RARE)
    )
    drawn[rng.choice(mothers, size=m // 50, replace=False)] = BIRTH
    diagnoses = pd.DataFrame({"did": np.arange(1, m + 1), "cid": contacts["cid"], "code": drawn})
    return contact_lake(persons, contacts, diagnoses)


def _rows_of(tables: dict[str, pd.DataFrame], code: str) -> pd.DataFrame:
    joined = (
        tables["diagnoses"].merge(tables["contacts"], on="cid").merge(tables["persons"], on="pid")
    )
    rows = joined[joined["code"] == code]
    return rows.assign(age=(rows["start"] - rows["born"]).dt.days / 365.25)


def _ages_of(tables: dict[str, pd.DataFrame], code: str) -> pd.Series:
    return _rows_of(tables, code)["age"]


def _mothers(tables: dict[str, pd.DataFrame]) -> float:
    """Share of birth diagnoses given to women aged 20 to 40 (1.0 in the lake)."""
    rows = _rows_of(tables, BIRTH)
    return float(((rows["sex"] == "F") & rows["age"].between(19, 41)).mean()) if len(rows) else 0.0


def test_a_rare_code_of_the_old_stays_with_the_old(diagnosis_lake) -> None:
    tables, relations, keys = diagnosis_lake
    real_age = float(_ages_of(tables, RARE).median())
    twin = TwinBuilder(seed=1).fit(tables, relations, keys).sample(seed=1)
    twin_ages = _ages_of(twin, RARE)
    # Drawn about as often as in the lake, at the ages it has there.
    real_share = float((tables["diagnoses"]["code"] == RARE).mean())
    twin_share = float((twin["diagnoses"]["code"] == RARE).mean())
    assert 0.5 * real_share <= twin_share <= 1.5 * real_share, (real_share, twin_share)
    assert abs(float(twin_ages.median()) - real_age) < 5.0, (real_age, twin_ages.median())
    assert float((twin_ages >= 70).mean()) > 0.8
    # Births go to women of 20 to 40, as in the lake.
    assert _mothers(tables) == 1.0
    assert _mothers(twin) > 0.85, _mothers(twin)


def test_without_forests_the_copula_gives_births_to_anyone(diagnosis_lake) -> None:
    """The measure above fails without the forests: the reason they exist."""
    tables, relations, keys = diagnosis_lake
    twin = TwinBuilder(seed=1, codes=False).fit(tables, relations, keys).sample(seed=1)
    assert _mothers(twin) < 0.7, _mothers(twin)


def test_forest_draws_are_deterministic_and_keep_the_shares(diagnosis_lake) -> None:
    tables, _, _ = diagnosis_lake
    frame = (
        tables["diagnoses"]
        .merge(tables["contacts"], on="cid")
        .merge(tables["persons"], on="pid")[["code", "start", "born", "sex", "kind"]]
    )
    models = fit_code_models(frame, ["code"], {"code", "sex", "kind"}, set(), seed=3)
    model = models["code"]
    assert model.forest.min_samples_leaf == 50  # no code drawn from a handful of rows
    first = model.draw(frame, np.random.default_rng(5))
    again = model.draw(frame, np.random.default_rng(5))
    assert (first == again).all()
    real = frame["code"].value_counts(normalize=True)
    drawn = pd.Series(first).value_counts(normalize=True).reindex(real.index).fillna(0.0)
    assert float((real - drawn).abs().sum()) < 0.15  # total variation x 2


def test_code_lists_are_categories_with_many_values_not_results() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "code": rng.choice([f"C{i:02d}" for i in range(40)], n),
            "result": rng.integers(50, 200, n).astype(str),  # whole numbers as text
            "kind": rng.choice(["a", "b", "c"], n),
        }
    )
    assert code_lists(frame, {"code", "result", "kind"}, set()) == ["code"]
    assert code_columns(frame, set()) == ["code", "kind"]  # never a result as an event


def test_a_row_in_two_windows_goes_to_the_anchor_of_higher_lift() -> None:
    strong = Anchor("diagnoses", "code", "DS72")
    weak = Anchor("procedures", "code", "KNF")
    target = TargetAnchors(
        "care", "begin", 365.0, [weak, strong], {weak.label: 8.0, strong.label: 28.0}
    )
    persons = pd.Index(["p1", "p2"])
    first = pd.DataFrame({strong.label: [100.0, np.nan], weak.label: [110.0, 110.0]}, index=persons)
    labels, since = label_rows(
        target, np.array(["p1", "p2", "p1"]), np.array([120.0, 120.0, 50.0]), first
    )
    # p1's care after both its fracture and its operation follows the fracture.
    assert list(labels) == [strong.label, weak.label, NONE]
    assert since[0] == 20.0 and since[1] == 10.0 and np.isnan(since[2])


def _visits_lake(n: int = 3000) -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """Persons whose number of visits rises with age to 75 and falls after 85."""
    rng = np.random.default_rng(8)
    ids = pseudonyms(rng, n)
    age = rng.uniform(20, 100, n)
    born = pd.DatetimeIndex(START - np.round(age * 365.25) * DAY)
    rate = np.where(age < 85, 1 + (age - 20) / 6, 2.0)  # 1 at 20, 11.8 at 85, then 2
    per_person = rng.poisson(rate)
    owner = np.repeat(np.arange(n), per_person)
    persons = pd.DataFrame({"pid": ids, "born": born, "sex": rng.choice(["F", "M"], n)})
    visits = pd.DataFrame(
        {
            "vid": np.arange(1, len(owner) + 1),
            "pid": ids[owner],
            "day": pd.DatetimeIndex(START + rng.integers(0, 365, len(owner)) * DAY),
            "kind": rng.choice(["a", "b", "c"], len(owner)),
        }
    )
    relations = [Relation("visits", "pid", "persons", "pid")]
    return {"persons": persons, "visits": visits}, relations, {"persons": "pid", "visits": "vid"}


def _visits_by_age(tables: dict[str, pd.DataFrame]) -> tuple[float, float]:
    """Mean visits of persons aged 70-85 and of persons over 88."""
    persons = tables["persons"]
    age = (START - persons["born"]).dt.days / 365.25
    visits = persons["pid"].map(tables["visits"]["pid"].value_counts()).fillna(0)
    return float(visits[age.between(70, 85)].mean()), float(visits[age > 88].mean())


def test_child_counts_that_rise_and_fall_with_age_keep_their_shape() -> None:
    tables, relations, keys = _visits_lake()
    real_mid, real_old = _visits_by_age(tables)
    assert real_mid > 3 * real_old  # the lake's shape: many visits at 70-85, few over 88
    twin = TwinBuilder(seed=1, forest_counts=True).fit(tables, relations, keys).sample(seed=1)
    twin_mid, twin_old = _visits_by_age(twin)
    assert twin_mid > 2 * twin_old, (real_mid, real_old, twin_mid, twin_old)
    # The copula's one axis cannot fall again: the oldest get as many as the 70-85s.
    plain = TwinBuilder(seed=1).fit(tables, relations, keys).sample(seed=1)
    plain_mid, plain_old = _visits_by_age(plain)
    assert plain_mid < 2 * plain_old, (real_mid, real_old, plain_mid, plain_old)


def _packs_lake(n: int = 2000) -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """Courses of a drug in one pack size, and their dispensings: a 15-pack is always
    dispensed as one pack, other sizes as 1 to 3."""
    rng = np.random.default_rng(12)
    ids = pseudonyms(rng, n)
    persons = pd.DataFrame({"pid": ids, "sex": rng.choice(["F", "M"], n)})
    per_person = rng.poisson(2, n) + 1
    owner = np.repeat(np.arange(n), per_person)
    k = len(owner)
    size = rng.choice([15, 30, 100], k, p=[0.3, 0.4, 0.3])
    courses = pd.DataFrame({"course": np.arange(1, k + 1), "pid": ids[owner], "packsize": size})
    per_course = rng.poisson(2, k) + 1
    which = np.repeat(np.arange(k), per_course)
    m = len(which)
    packs = np.where(size[which] == 15, 1, rng.choice([1, 2, 3], m, p=[0.6, 0.3, 0.1]))
    orders = pd.DataFrame(
        {
            "oid": np.arange(1, m + 1),
            "course": which + 1,
            "day": pd.DatetimeIndex(START + rng.integers(0, 365, m) * DAY),
            "packs": packs,
        }
    )
    relations = [
        Relation("courses", "pid", "persons", "pid"),
        Relation("orders", "course", "courses", "course"),
    ]
    keys = {"persons": "pid", "courses": "course", "orders": "oid"}
    return {"persons": persons, "courses": courses, "orders": orders}, relations, keys


def _one_pack_share(tables: dict[str, pd.DataFrame]) -> float:
    """Share of a 15-pack's dispensings that are one pack (1.0 in the lake)."""
    joined = tables["orders"].merge(tables["courses"], on="course")
    small = joined[joined["packsize"] == 15]
    return float((small["packs"] == 1).mean()) if len(small) > 100 else 0.0


def test_a_value_a_parent_fixes_is_found() -> None:
    rng = np.random.default_rng(1)
    parent = rng.choice(["x", "y", "z"], 5000)
    own = pd.DataFrame(
        {
            "fixed": np.where(parent == "x", "a", rng.choice(["a", "b", "c"], 5000)),
            "free": rng.choice(["a", "b", "c"], 5000),
        }
    )
    context = pd.DataFrame({"__ctx__kind": parent})
    chosen = fixed_by_parent(own, context, {"fixed", "free", "__ctx__kind"}, set())
    assert chosen == ["fixed"]


def test_a_structural_zero_survives_in_the_twin() -> None:
    """A 15-pack is always dispensed as one pack: a forest keeps that, a copula cannot."""
    tables, relations, keys = _packs_lake()
    assert _one_pack_share(tables) == 1.0
    twin = TwinBuilder(seed=2).fit(tables, relations, keys).sample(seed=2)
    assert _one_pack_share(twin) > 0.97, _one_pack_share(twin)
    plain = TwinBuilder(seed=2, codes=False).fit(tables, relations, keys).sample(seed=2)
    assert _one_pack_share(plain) < 0.9, _one_pack_share(plain)


def test_every_contact_keeps_exactly_one_primary_diagnosis() -> None:
    """Each real contact has one primary diagnosis (A) among its diagnoses; so has the twin's."""
    rng = np.random.default_rng(21)
    n = 1500
    ids = pseudonyms(rng, n)
    persons = pd.DataFrame({"pid": ids, "sex": rng.choice(["F", "M"], n)})
    owner = np.repeat(np.arange(n), rng.poisson(3, n) + 1)
    k = len(owner)
    contacts = pd.DataFrame(
        {
            "cid": np.arange(1, k + 1),
            "pid": ids[owner],
            "start": pd.DatetimeIndex(START + rng.integers(0, 900, k) * DAY),
        }
    )
    per_contact = rng.choice([1, 2, 3], k, p=[0.6, 0.3, 0.1])
    contact = np.repeat(np.arange(k), per_contact)
    first = np.r_[True, contact[1:] != contact[:-1]]
    diagnoses = pd.DataFrame(
        {
            "did": np.arange(1, len(contact) + 1),
            "cid": contact + 1,
            "code": rng.choice([f"D{i:02d}" for i in range(30)], len(contact)),
            "kind": np.where(first, "A", "B"),
        }
    )
    tables, relations, keys = contact_lake(persons, contacts, diagnoses)
    builder = TwinBuilder(seed=4).fit(tables, relations, keys)
    assert builder.plans_["diagnoses"].rules.once == {"kind": "A"}
    twin = builder.sample(seed=4)["diagnoses"]
    primaries = (twin["kind"] == "A").groupby(twin["cid"]).sum()
    assert bool((primaries == 1).all())
    assert set(twin["kind"]) == {"A", "B"}


def test_a_diagnosis_follows_the_persons_age_not_what_its_contact_drew() -> None:
    """Fractures (old persons) come with an operation; the twin's contacts draw theirs first.

    A rare flag on the contact (an operation, 2% of contacts) lands at any age in the
    contact's copula; a diagnosis forest that read it put fractures on whoever got one. The
    diagnosis sees the contact's date and the person, so fractures stay with the old.
    """
    rng = np.random.default_rng(31)
    n = 3000
    ids = pseudonyms(rng, n)
    born = pd.DatetimeIndex(START - rng.integers(20 * 365, 95 * 365, n) * DAY)
    persons = pd.DataFrame({"pid": ids, "born": born, "sex": rng.choice(["F", "M"], n)})
    owner = np.repeat(np.arange(n), rng.poisson(3, n) + 1)
    k = len(owner)
    start = pd.DatetimeIndex(START + rng.integers(0, 900, k) * DAY)
    age = (start - born[owner]).days.to_numpy() / 365.25
    fracture = rng.random(k) < np.clip((age - 70) / 300, 0, None)
    names = [f"D{chr(65 + i // 10)}{i % 10}" for i in range(25)]
    codes = rng.choice(names, k).astype(object)
    codes[fracture] = RARE
    contacts = pd.DataFrame(
        {
            "cid": np.arange(1, k + 1),
            "pid": ids[owner],
            "start": start,
            "operated": np.where(fracture, "yes", np.where(rng.random(k) < 0.005, "yes", "no")),
        }
    )
    per_contact = rng.choice([1, 2], k, p=[0.7, 0.3])
    row = np.repeat(np.arange(k), per_contact)
    second = np.r_[False, row[1:] == row[:-1]]
    diagnoses = pd.DataFrame(
        {
            "did": np.arange(1, len(row) + 1),
            "cid": row + 1,
            "code": np.where(second, rng.choice(names, len(row)), codes[row]),
        }
    )
    tables, relations, keys = contact_lake(persons, contacts, diagnoses)
    real_age = float(_ages_of(tables, RARE).median())
    twin = TwinBuilder(seed=5).fit(tables, relations, keys).sample(seed=5)
    twin_ages = _ages_of(twin, RARE)
    assert len(twin_ages) > 30
    assert abs(float(twin_ages.median()) - real_age) < 5.0, (real_age, twin_ages.median())
