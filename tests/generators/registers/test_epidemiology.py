"""Patterns a model can learn from: prevalences, treatments, and home care after hip fracture."""

from __future__ import annotations

import pandas as pd

WINDOW_START = pd.Timestamp("2015-01-01")


def _diagnosed(lake: dict[str, pd.DataFrame], pattern: str) -> pd.DataFrame:
    """First confirmed diagnosis per person whose code matches ``pattern``: pnr, when."""
    diagnoses = lake["lpr_a_diagnose"]
    hits = diagnoses[
        diagnoses["diag_kode"].str.match(pattern) & (diagnoses["senere_afkraeftet"] == "Nej")
    ]
    contacts = lake["lpr_a_kontakt"][["dw_ek_kontakt", "pnr", "kont_starttidspunkt"]]
    joined = hits.merge(contacts, on="dw_ek_kontakt")
    return joined.groupby("pnr", as_index=False)["kont_starttidspunkt"].min()


def _age(lake: dict[str, pd.DataFrame], when: pd.Timestamp) -> pd.Series:
    """Everyone's age in years at ``when``, indexed by pnr."""
    bef = lake["bef"].set_index("pnr")
    return (when - bef["foed_dag"]).dt.days / 365.25


def _share(mask: pd.Series) -> float:
    return float(mask.mean())


def test_diabetes_prevalence_among_the_over_65s_is_plausible(lake):
    # Danish Diabetes Database / RUKS: roughly 13-16 % of 65+ year olds have diabetes.
    age = _age(lake, WINDOW_START)
    lmdb = lake["lmdb"]
    diabetic = set(_diagnosed(lake, "DE11")["pnr"]) | set(
        lmdb.loc[lmdb["atc"].str.startswith("A10"), "pnr"]
    )
    share = _share(pd.Series(age.index.isin(list(diabetic)))[(age >= 65).to_numpy()])
    assert 0.08 < share < 0.25


def test_chronic_disease_is_commoner_in_the_old(big_lake):
    age = _age(big_lake, WINDOW_START)
    old, young = (age >= 65).to_numpy(), ((age >= 18) & (age < 50)).to_numpy()
    for pattern in ("DE11", "DI50", "DJ44", "DI63", "DF0[0-3]"):
        sick = age.index.isin(_diagnosed(big_lake, pattern)["pnr"])
        assert float(sick[old].mean()) > 3 * float(sick[young].mean()), pattern


def test_diabetics_fill_far_more_metformin_than_others(lake):
    pnr = lake["bef"]["pnr"]
    diabetic = pnr.isin(_diagnosed(lake, "DE11")["pnr"])
    on_metformin = pnr.isin(lake["lmdb"].loc[lake["lmdb"]["atc"] == "A10BA02", "pnr"])
    rate_dm, rate_other = _share(on_metformin[diabetic]), _share(on_metformin[~diabetic])
    assert rate_dm > 0.5
    assert rate_dm > 5 * rate_other


def test_diabetics_have_higher_hba1c(lake):
    diabetic = _diagnosed(lake, "DE11")["pnr"]
    lab = lake["lab"]
    hba1c = lab[lab["analysiscode"] == "NPU27300"]
    value = pd.to_numeric(hba1c["value"])
    is_dm = hba1c["patient_cpr"].isin(diabetic)
    median_dm, median_other = float(value[is_dm].median()), float(value[~is_dm].median())
    assert median_dm >= 48 > median_other


def test_deaths_concentrate_among_the_old_and_ill(big_lake):
    age = _age(big_lake, WINDOW_START)
    died = age.index.isin(big_lake["dod"]["pnr"])
    very_old, working_age = (age >= 80).to_numpy(), ((age >= 18) & (age < 65)).to_numpy()
    assert float(died[very_old].mean()) > 5 * float(died[working_age].mean())
    heart_failure = age.index.isin(_diagnosed(big_lake, "DI50")["pnr"])
    old = (age >= 70).to_numpy()
    with_hf = float(died[old & heart_failure].mean())
    without = float(died[old & ~heart_failure].mean())
    assert with_hf > 1.3 * without


def _home_care_after_hip_fracture(lake: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Over-65s admitted with a hip fracture: dementia before, section 83 help within a year."""
    fracture = _diagnosed(lake, "DS72").rename(columns={"kont_starttidspunkt": "fracture"})
    fracture = fracture[fracture["fracture"] < pd.Timestamp("2024-01-01")]  # a year of follow-up
    born = fracture["pnr"].map(lake["bef"].set_index("pnr")["foed_dag"])
    fracture = fracture[(fracture["fracture"] - born).dt.days / 365.25 >= 65]
    dementia = _diagnosed(lake, "DF0[0-3]").rename(columns={"kont_starttidspunkt": "dementia"})
    fracture = fracture.merge(dementia, on="pnr", how="left")
    fracture["has_dementia"] = fracture["dementia"] < fracture["fracture"]
    care = lake["fsiii_indsats"]
    care = care[(care["paragraf"] == "83") & (care["status"] == "leveret")]
    joined = fracture.merge(care[["pnr", "startdato"]], on="pnr", how="left")
    soon = (joined["startdato"] > joined["fracture"]) & (
        joined["startdato"] <= joined["fracture"] + pd.Timedelta(days=365)
    )
    fracture["home_care_1y"] = fracture["pnr"].isin(joined.loc[soon, "pnr"])
    return fracture


def test_home_care_after_hip_fracture_is_commoner_with_dementia(big_lake):
    cohort = _home_care_after_hip_fracture(big_lake)
    dementia = cohort["has_dementia"]
    n_dementia, n_other = int(dementia.sum()), int((~dementia).sum())
    overall = _share(cohort["home_care_1y"])
    with_dementia = _share(cohort.loc[dementia, "home_care_1y"])
    without = _share(cohort.loc[~dementia, "home_care_1y"])
    assert n_dementia >= 20 and n_other >= 100
    assert 0.3 < overall < 0.85
    assert with_dementia > without + 0.1
