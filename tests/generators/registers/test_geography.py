"""Municipalities and regions: the real 98 -> 5 mapping, and persons placed consistently."""

from __future__ import annotations

from collections import Counter

from generators.registers.geography import KOM_TO_REG, MUNICIPALITIES, REGIONS


def test_there_are_98_municipalities_in_five_regions():
    assert len(MUNICIPALITIES) == 98
    assert len(KOM_TO_REG) == 98  # codes unique
    assert len({name for _, name, _, _ in MUNICIPALITIES}) == 98
    assert Counter(KOM_TO_REG.values()) == {"84": 29, "85": 17, "83": 22, "82": 19, "81": 11}
    assert set(REGIONS) == {"81", "82", "83", "84", "85"}


def test_municipalities_that_sit_in_another_regions_number_range():
    # Codes are not grouped by region: these are easy to get wrong.
    expected = {
        "101": "84",  # København
        "400": "84",  # Bornholm belongs to the capital region
        "253": "85",  # Greve
        "461": "83",  # Odense
        "607": "83",  # Fredericia
        "615": "82",  # Horsens
        "630": "83",  # Vejle
        "751": "82",  # Aarhus
        "773": "81",  # Morsø
        "779": "82",  # Skive
        "787": "81",  # Thisted
        "791": "82",  # Viborg
        "851": "81",  # Aalborg
    }
    assert {kom: KOM_TO_REG[kom] for kom in expected} == expected


def test_every_person_lives_in_a_real_municipality_of_their_region(lake):
    bef = lake["bef"]
    unknown = sorted(set(bef["kom"]) - set(KOM_TO_REG))
    mismatched = int((bef["kom"].map(KOM_TO_REG) != bef["reg"]).sum())
    assert unknown == []
    assert mismatched == 0


def test_large_municipalities_hold_more_people(big_lake):
    counts = big_lake["bef"]["kom"].value_counts()
    assert int(counts.get("101", 0)) > int(counts.get("825", 0))  # København vs Læsø
    assert counts.idxmax() == "101"
    assert big_lake["bef"]["reg"].value_counts().idxmax() == "84"
