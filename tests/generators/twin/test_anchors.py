"""Anchors: rows of one table that follow events in another keep that timing in the twin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.anchors import learn_anchors
from generators.twin.graph import topological_order
from generators.twin.synthesizers import scaled_order
from testkit.lakes import pseudonyms

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2016-01-01")


@pytest.fixture(scope="module")
def fracture_lake() -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """Persons, contacts, diagnoses under contacts, and care that follows a hip fracture.

    Old persons break a hip more often; 70% of those with a fracture get care 10 to 200
    days after the fracture contact. Others get care at random times, rarely.
    """
    rng = np.random.default_rng(11)
    n = 3000
    ids = pseudonyms(rng, n)
    age = rng.integers(20, 95, n)
    persons = pd.DataFrame({"pid": ids, "age": age, "sex": rng.choice(["F", "M"], n)})
    per_person = rng.poisson(1 + age / 30)
    m = int(per_person.sum())
    owner = np.repeat(np.arange(n), per_person)
    contacts = pd.DataFrame(
        {
            "cid": np.arange(1, m + 1),
            "pid": ids[owner],
            "start": START + rng.integers(0, 5 * 365, m) * DAY,
            "kind": rng.choice(["ALCA00", "ALCA10", "ALCA20"], m),
        }
    )
    broken = rng.random(m) < np.clip((age[owner] - 55) / 400, 0.0, None)
    background = rng.choice(["DI50", "DE11", "DJ44", "DM54", "DR07"], m)
    codes = np.where(broken, rng.choice(["DS720", "DS721"], m), background)
    diagnoses = pd.DataFrame({"did": np.arange(1, m + 1), "cid": contacts["cid"], "code": codes})
    first = contacts.loc[broken].groupby("pid")["start"].min()
    helped = first[rng.random(len(first)) < 0.7]
    after = pd.DataFrame(
        {
            "pid": helped.index.to_numpy(),
            "begin": helped.to_numpy() + rng.integers(10, 200, len(helped)) * DAY,
        }
    )
    others = rng.choice(n, 150, replace=False)
    random_care = pd.DataFrame(
        {"pid": ids[others], "begin": START + rng.integers(0, 5 * 365, 150) * DAY}
    )
    care = pd.concat([after, random_care], ignore_index=True)
    care["hours"] = rng.gamma(2.0, 2.0, len(care)).round(1)
    care["kind"] = rng.choice(["personal", "practical", "meals"], len(care))
    care.insert(0, "care_id", np.arange(1, len(care) + 1))
    relations = [
        Relation("contacts", "pid", "persons", "pid"),
        Relation("diagnoses", "cid", "contacts", "cid"),
        Relation("care", "pid", "persons", "pid"),
    ]
    keys = {"persons": "pid", "contacts": "cid", "diagnoses": "did", "care": "care_id"}
    tables = {"persons": persons, "contacts": contacts, "diagnoses": diagnoses, "care": care}
    return tables, relations, keys


def _care_after_fracture(tables: dict[str, pd.DataFrame]) -> float:
    """Share of persons with a fracture who get care within 365 days after the first one."""
    joined = tables["diagnoses"].merge(tables["contacts"], on="cid")
    first = joined[joined["code"].str.startswith("DS72")].groupby("pid")["start"].min()
    care = tables["care"].merge(first.rename("fracture"), left_on="pid", right_index=True)
    gap = (care["begin"] - care["fracture"]).dt.days
    helped = care.loc[(gap >= 0) & (gap <= 365), "pid"].nunique()
    return helped / max(len(first), 1)


def test_the_fracture_is_found_as_the_anchor_of_care(fracture_lake) -> None:
    tables, relations, keys = fracture_lake
    order = topological_order(list(tables), relations)
    key_columns = {(t, c) for t, c in keys.items()} | {
        (r.parent_table, r.parent_column) for r in relations
    }
    found = learn_anchors(tables, relations, order, "persons", "pid", key_columns, ["care"])
    labels = [a.label for a in found["care"].anchors]
    assert labels[0] in {"diagnoses.code:DS7", "diagnoses.code:DS72"}
    assert found["care"].lift[labels[0]] > 5
    assert not any(":DI50" in label or ":DE11" in label for label in labels)


def test_the_twin_keeps_care_after_the_twins_own_fracture(fracture_lake) -> None:
    tables, relations, keys = fracture_lake
    real = _care_after_fracture(tables)
    anchored = TwinBuilder(seed=2).fit(tables, relations, keys).sample(seed=3)
    unanchored = TwinBuilder(seed=2, anchor_window=0).fit(tables, relations, keys).sample(seed=3)
    assert real > 0.6
    # Without anchors care is drawn from the person alone: few fractures are followed by it.
    assert _care_after_fracture(unanchored) < 0.3
    assert _care_after_fracture(anchored) > 0.5
    # Moved rows stay inside what the real table allows.
    assert anchored["care"]["begin"].max() <= tables["care"]["begin"].max()
    assert anchored["care"]["pid"].isin(anchored["persons"]["pid"]).all()


def test_anchored_twins_are_deterministic(fracture_lake) -> None:
    tables, relations, keys = fracture_lake
    builder = TwinBuilder(seed=2).fit(tables, relations, keys)
    a, b = builder.sample(seed=9), builder.sample(seed=9)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_scaled_order_puts_categories_of_the_old_together() -> None:
    rng = np.random.default_rng(0)
    age = rng.integers(20, 95, 4000).astype(float)
    codes = np.where(age > 75, rng.choice(["Z1", "A9"], 4000), rng.choice(["M5", "B2", "Q7"], 4000))
    frame = pd.DataFrame({"age": age, "code": codes})
    order = scaled_order(
        frame, "code", {"age": {"sdtype": "numerical"}, "code": {"sdtype": "categorical"}}
    )
    assert set(order[:2]) == {"Z1", "A9"} or set(order[-2:]) == {"Z1", "A9"}


def test_order_is_depth_first_with_bigger_subtrees_first(fracture_lake) -> None:
    _, relations, _ = fracture_lake
    order = topological_order(["care", "diagnoses", "contacts", "persons"], relations)
    assert order == ["persons", "contacts", "diagnoses", "care"]
