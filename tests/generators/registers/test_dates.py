"""Dates hang together: nothing before birth or after death, ends after starts, in window."""

from __future__ import annotations

import pandas as pd
import pytest

WINDOW_START = pd.Timestamp("2015-01-01")
WINDOW_END = pd.Timestamp("2024-12-31")


def _count(mask: pd.Series) -> int:
    return int(mask.sum())


def _person_dates(lake: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every dated event as (pnr, when), one frame per source."""
    contacts = lake["lpr_a_kontakt"]
    by_contact = contacts.set_index("dw_ek_kontakt")["pnr"]
    procedures = lake["lpr_a_procregistrering"]
    observations = lake["epj_observation"]
    indsats = lake["fsiii_indsats"]
    return {
        "dod": lake["dod"].rename(columns={"doddato": "when"}),
        "contact start": contacts.rename(columns={"kont_starttidspunkt": "when"}),
        "contact end": contacts.rename(columns={"kont_sluttidspunkt": "when"}),
        "procedure": pd.DataFrame(
            {
                "pnr": procedures["dw_ek_kontakt"].map(by_contact),
                "when": procedures["proc_starttidspunkt"],
            }
        ),
        "observation": pd.DataFrame(
            {
                "pnr": observations["dw_ek_kontakt"].map(by_contact),
                "when": observations["observation_tidspunkt"],
            }
        ),
        "lmdb": lake["lmdb"].rename(columns={"eksd": "when"}),
        "lab": lake["lab"].rename(columns={"patient_cpr": "pnr", "samplingdate": "when"}),
        "assessment": lake["fsiii_tilstand"].rename(columns={"vurderingsdato": "when"}),
        "care start": indsats.rename(columns={"startdato": "when"}),
        "care end": indsats.dropna(subset=["slutdato"]).rename(columns={"slutdato": "when"}),
    }


def test_nothing_happens_before_birth_or_after_death(lake):
    birth = lake["bef"].set_index("pnr")["foed_dag"]
    death = lake["dod"].set_index("pnr")["doddato"]
    day_after_death = death + pd.Timedelta(days=1)  # the death day is the last day lived
    for source, frame in _person_dates(lake).items():
        when = frame["when"]
        missing = _count(when.isna())
        before_birth = _count(when < frame["pnr"].map(birth))
        after_death = _count(when >= frame["pnr"].map(day_after_death))
        assert (missing, before_birth, after_death) == (0, 0, 0), source


def test_deaths_are_unique_and_in_the_window(lake):
    dod = lake["dod"]
    assert _count(dod["pnr"].duplicated()) == 0
    assert _count(~dod["doddato"].between(WINDOW_START, WINDOW_END)) == 0


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("lpr_a_kontakt", "kont_starttidspunkt"),
        ("lmdb", "eksd"),
        ("lab", "samplingdate"),
        ("fsiii_tilstand", "vurderingsdato"),
    ],
)
def test_events_fall_in_the_observation_window(lake, table, column):
    when = lake[table][column]
    outside = _count((when < WINDOW_START) | (when >= WINDOW_END + pd.Timedelta(days=1)))
    assert outside == 0


def test_births_precede_the_window_end_and_some_happen_inside_it(lake):
    born = lake["bef"]["foed_dag"]
    assert _count(born > WINDOW_END) == 0
    assert _count(born >= WINDOW_START) > 0  # babies born during the window are in BEF too
    assert _count(born < pd.Timestamp("1925-01-01")) > 0  # and the very old


def test_ends_are_never_before_starts(lake):
    contacts = lake["lpr_a_kontakt"]
    assert _count(contacts["kont_sluttidspunkt"] < contacts["kont_starttidspunkt"]) == 0
    indsats = lake["fsiii_indsats"]
    ended = indsats.dropna(subset=["slutdato"])
    assert _count(ended["slutdato"] < ended["startdato"]) == 0
    assert _count(indsats["startdato"] > WINDOW_END) == 0


def test_procedures_and_observations_happen_during_their_contact(lake):
    contacts = lake["lpr_a_kontakt"].set_index("dw_ek_kontakt")
    for table, column in [
        ("lpr_a_procregistrering", "proc_starttidspunkt"),
        ("epj_observation", "observation_tidspunkt"),
    ]:
        frame = lake[table]
        start = frame["dw_ek_kontakt"].map(contacts["kont_starttidspunkt"])
        end = frame["dw_ek_kontakt"].map(contacts["kont_sluttidspunkt"])
        assert _count(~frame[column].between(start, end)) == 0, table


def test_reporting_system_switches_to_lpr3_in_2019(lake):
    contacts = lake["lpr_a_kontakt"]
    switch = pd.Timestamp("2019-03-01")
    lpr3 = contacts["lprindberetningssystem"] == "LPR3"
    assert set(contacts["lprindberetningssystem"]) == {"LPR2", "LPR3"}
    assert _count(lpr3 & (contacts["kont_starttidspunkt"] < switch)) == 0
    assert _count(~lpr3 & (contacts["kont_starttidspunkt"] >= switch)) == 0
