"""A contact's length follows its primary diagnosis, and its lengths' spread is the lake's.

The contact's copula draws its length before the diagnosis below it exists: every code got
the lake's overall lengths (on the simulated lake a twin hip fracture stayed a median 0.04
days, a real one 7.8), and SDV's truncated normal made hour-long visits a day long.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators.relations import Relation
from generators.twin import TwinBuilder, constraints, fitting
from generators.twin.base import FLAT
from generators.twin.lengths import MIN_ROWS, learn_lengths_by_code
from testkit.lakes import adults, contact_lake

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2016-01-01")
# Code groups and their stays (median days): each group's codes are too rare alone to get
# a curve of their own (fewer than MIN_ROWS primary rows each), the group is not.
GROUPS = {"DS72": 7.0, "DI50": 2.0, "DZ03": 0.04}


def _lake() -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """Persons, contacts (start, end), their diagnoses (a primary A, maybe a secondary B),
    assessments and operations (between the contact's start and end)."""
    rng = np.random.default_rng(8)
    n = 1500
    persons = adults(rng, n, START)
    ids = persons["pid"].to_numpy()
    k = 3 * n
    group = rng.choice(list(GROUPS), k, p=[0.15, 0.25, 0.6])
    code = np.array([f"{g}{d}" for g, d in zip(group, rng.integers(0, 9, k), strict=True)])
    stay = np.array([GROUPS[g] for g in group]) * np.exp(rng.normal(0, 0.4, k))
    start = START + pd.to_timedelta(rng.integers(0, 900 * 24, k), unit="h")
    contacts = pd.DataFrame(
        {
            "cid": np.arange(1, k + 1),
            "pid": ids[rng.integers(0, n, k)],
            "start": start,
            "end": start + pd.to_timedelta(np.round(stay * 86400), unit="s"),
        }
    )
    second = rng.random(k) < 0.3
    diagnoses = pd.DataFrame(
        {
            "cid": np.r_[contacts["cid"], contacts["cid"][second]],
            "code": np.r_[code, rng.choice(["DE110", "DJ440"], int(second.sum()))],
            "kind": np.r_[np.full(k, "A"), np.full(int(second.sum()), "B")],
        }
    )
    diagnoses.insert(0, "did", np.arange(1, len(diagnoses) + 1))
    # Half the contacts have one to three assessments: a child table (not folded in), drawn
    # before the diagnoses (siblings are drawn by name), so its dates are moved after them.
    observed = np.repeat(np.arange(k), rng.choice([0, 1, 2, 3], k, p=[0.5, 0.2, 0.2, 0.1]))
    place = rng.random(len(observed))
    assessments = pd.DataFrame(
        {
            "oid": np.arange(1, len(observed) + 1),
            "cid": observed + 1,
            "taken": contacts["start"].iloc[observed].to_numpy()
            + (contacts["end"] - contacts["start"]).iloc[observed].to_numpy() * place,
            "pulse": np.round(rng.normal(80, 10, len(observed))),
        }
    )
    # A fifth of the contacts have one operation (at most one: folded into the contact).
    operated = np.flatnonzero(rng.random(k) < 0.2)
    operations = pd.DataFrame(
        {
            "opid": np.arange(1, len(operated) + 1),
            "cid": operated + 1,
            "done": contacts["start"].iloc[operated].to_numpy()
            + (contacts["end"] - contacts["start"]).iloc[operated].to_numpy()
            * rng.random(len(operated)),
        }
    )
    tables, relations, keys = contact_lake(persons, contacts, diagnoses)
    tables["operations"] = operations.assign(done=operations["done"].dt.floor("s"))
    relations.append(Relation("operations", "cid", "contacts", "cid"))
    keys["operations"] = "opid"
    tables["assessments"] = assessments.assign(taken=assessments["taken"].dt.floor("s"))
    relations.append(Relation("assessments", "cid", "contacts", "cid"))
    keys["assessments"] = "oid"
    return tables, relations, keys


def _stays(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Median stay (days) per code group of the contact's primary diagnosis."""
    primary = tables["diagnoses"].query("kind == 'A'")[["cid", "code"]]
    contacts = tables["contacts"].merge(primary, on="cid")
    days = (contacts["end"] - contacts["start"]).dt.total_seconds() / 86400
    return days.groupby(contacts["code"].str[:4]).median()


@pytest.fixture(scope="module")
def lake() -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    return _lake()


def test_a_stay_follows_its_primary_diagnosis_and_assessments_stay_inside(
    lake: tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tables, relations, keys = lake
    real = _stays(tables)
    builder = TwinBuilder(seed=4).fit(tables, relations, keys)
    (rule,) = builder.plans_["diagnoses"].rules.lengths
    assert (rule.lead, rule.code, rule.column, rule.anchor) == ("kind", "code", "end", "start")
    assert set(rule.by_code) >= set(GROUPS)  # the groups; their codes are too rare alone
    twin = builder.sample(seed=4)
    stays = _stays(twin)
    for group in GROUPS:
        assert stays[group] == pytest.approx(real[group], rel=0.3), (group, stays, real)
    inside = twin["assessments"].merge(twin["contacts"], on="cid")
    assert bool(inside["taken"].between(inside["start"], inside["end"]).all())
    # Without the rule every code gets the contacts' overall lengths: a fracture's stay is
    # the stay of whatever its contact drew (median 0.1 days; real 7).
    monkeypatch.setattr(fitting, "learn_lengths_by_code", lambda *args: [])
    old = TwinBuilder(seed=4).fit(tables, relations, keys).sample(seed=4)
    assert _stays(old)["DS72"] < 0.5 * real["DS72"], _stays(old)


def test_codes_too_rare_for_a_group_keep_their_length() -> None:
    """A curve needs MIN_ROWS primary rows of the code or of a start of it."""
    rng = np.random.default_rng(2)
    k = MIN_ROWS * 3
    codes = np.r_[np.full(MIN_ROWS, "AB1"), np.full(MIN_ROWS, "AB2"), [f"Z{i}" for i in range(k)]]
    start = pd.Series(START + pd.to_timedelta(rng.integers(0, 1000, len(codes)), unit="D"))
    end = start + pd.to_timedelta(rng.random(len(codes)) * 5, unit="D")
    own = pd.DataFrame({"kind": "A", "code": codes})
    context = pd.DataFrame({"__ctx__start": start, "__ctx__end": end})
    (rule,) = learn_lengths_by_code(
        own,
        context,
        {"__ctx__start": "start", "__ctx__end": "end"},
        {"kind": ("A", "code")},
        {"end": "start"},
    )
    assert set(rule.by_code) == {"AB1", "AB2", "AB"}  # Z-codes: one row each, Z alone too short
    old = np.array([1.0, 2.0, 3.0])
    new = rule.lengths(old, np.array(["Z7", "AB3", None], dtype=object))
    assert new[0] == old[0] and new[2] == old[2]  # no curve: kept
    assert new[1] != old[1]  # AB3 is rare, but its group AB has a curve


def _inside(tables: dict[str, pd.DataFrame], table: str, column: str) -> float:
    """Share of a table's dates that lie within their contact."""
    rows = tables[table].merge(tables["contacts"], on="cid")
    return float(rows[column].between(rows["start"], rows["end"]).mean())


def test_a_folded_childs_date_stays_within_its_parents_start_and_end(
    lake: tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One operation per contact at most: folded into the contact, its date is the contact's
    own column, which a copula drew after the start and past the end (simulated lake:
    45% of the twin's procedures after their contact's end, real none)."""
    tables, relations, keys = lake
    builder = TwinBuilder(seed=4).fit(tables, relations, keys)
    assert "operations" in builder.plans_["contacts"].flattened
    within = builder.plans_["contacts"].rules.within
    assert within == {f"{FLAT}operations__done": "end"}
    # All but a contact that ends before the first real operation (the column's real range
    # wins there: no twin date outside it): one of about 900.
    assert _inside(builder.sample(seed=4), "operations", "done") >= 0.995
    monkeypatch.setattr(constraints, "_learn_within", lambda *args: {})
    old = TwinBuilder(seed=4).fit(tables, relations, keys).sample(seed=4)
    assert _inside(old, "operations", "done") < 0.8
