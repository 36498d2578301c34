from generators.twin.holdout import split_holdout


def test_holdout_cascades_to_every_depth(generic_lake) -> None:
    tables, relations, _ = generic_lake
    train, hold = split_holdout(tables, relations, "persons", share=0.2, seed=1)
    assert len(hold["persons"]) == round(0.2 * len(tables["persons"]))
    held = set(hold["persons"]["person id"])
    assert not held & set(train["persons"]["person id"])
    assert set(hold["contacts"]["person id"]) <= held
    assert not set(train["contacts"]["person id"]) & held
    held_contacts = set(hold["contacts"]["contact.id"])
    assert set(hold["diagnoses"]["contact.id"]) <= held_contacts
    for name in tables:
        assert len(train[name]) + len(hold[name]) == len(tables[name])


def test_holdout_is_deterministic(generic_lake) -> None:
    tables, relations, _ = generic_lake
    a = split_holdout(tables, relations, "persons", 0.3, seed=4)[1]["persons"]
    b = split_holdout(tables, relations, "persons", 0.3, seed=4)[1]["persons"]
    assert a.equals(b)


def test_split_by_recorded_units_equals_the_seeded_split(generic_lake) -> None:
    from generators.twin.holdout import split_by_units

    tables, relations, _ = generic_lake
    train, hold = split_holdout(tables, relations, "persons", 0.25, seed=9)
    keys = set(hold["persons"]["person id"].astype(str))
    train2, hold2 = split_by_units(tables, relations, "persons", "person id", keys)
    for name in tables:
        assert train2[name].equals(train[name]), name
        assert hold2[name].equals(hold[name]), name
