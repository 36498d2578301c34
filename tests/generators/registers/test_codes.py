"""Codes look the way the registers write them."""

from __future__ import annotations

import pandas as pd

ICD10_WITH_D = r"D[A-Z]\d{2}[0-9A-Z]{0,3}"
ATC = r"[A-Z]\d{2}[A-Z]{2}\d{2}"
NPU = r"NPU\d{5}"
SKS_PROCEDURE = r"[KU][A-Z]{3}\d{2}"


def _bad(series: pd.Series, pattern: str) -> list[str]:
    """Distinct values (codes, never identifiers) that do not match ``pattern``."""
    values = series.astype(str)
    return sorted(set(values[~values.str.fullmatch(pattern)]))


def test_population_codes(lake):
    bef = lake["bef"]
    assert set(bef["koen"]) == {1, 2}
    assert set(bef["civst"]) <= {"U", "G", "F", "E"}
    assert {"U", "G"} <= set(bef["civst"])


def test_hospital_codes(lake):
    diagnoses = lake["lpr_a_diagnose"]
    assert _bad(diagnoses["diag_kode"], ICD10_WITH_D) == []
    assert set(diagnoses["diag_kode_type"]) == {"A", "B"}
    assert set(diagnoses["senere_afkraeftet"]) == {"Ja", "Nej"}
    assert float((diagnoses["senere_afkraeftet"] == "Ja").mean()) < 0.05
    # Exactly one action diagnosis per contact.
    actions = diagnoses.loc[diagnoses["diag_kode_type"] == "A", "dw_ek_kontakt"]
    contacts = lake["lpr_a_kontakt"]
    assert int(actions.duplicated().sum()) == 0
    assert len(actions) == len(contacts)
    assert set(contacts["kont_type"]) <= {"ALCA00", "ALCA03", "ALCA10"}
    assert float((contacts["kont_type"] == "ALCA00").mean()) > 0.7
    assert set(contacts["prioritet"]) == {"ATA1", "ATA3"}
    assert _bad(lake["lpr_a_procregistrering"]["proc_kode"], SKS_PROCEDURE) == []


def test_hip_fractures_are_operated_with_hip_surgery(big_lake):
    diagnoses = big_lake["lpr_a_diagnose"]
    fractures = diagnoses[
        diagnoses["diag_kode"].str.startswith("DS72") & (diagnoses["diag_kode_type"] == "A")
    ]
    procedures = big_lake["lpr_a_procregistrering"]
    surgery = procedures.loc[procedures["proc_kode"].str.startswith("KNF"), "dw_ek_kontakt"]
    assert len(fractures) > 50
    assert int((~fractures["dw_ek_kontakt"].isin(surgery)).sum()) == 0


def test_prescription_codes(lake):
    lmdb = lake["lmdb"]
    assert _bad(lmdb["atc"], ATC) == []
    assert _bad(lmdb["vnr"], r"\d{6}") == []
    assert int(lmdb["apk"].min()) >= 1
    assert float(lmdb["packsize"].min()) > 0
    # One product number per ATC code here, so vnr and atc agree throughout.
    assert int(lmdb.groupby("atc")["vnr"].nunique().max()) == 1


def test_laboratory_codes_and_values(lake):
    lab = lake["lab"]
    assert _bad(lab["analysiscode"], NPU) == []
    qualitative = lab["analysiscode"] == "NPU21578"
    assert set(lab.loc[qualitative, "value"]) == {"POSITIV", "NEGATIV"}
    assert int(lab.loc[qualitative, "unit"].notna().sum()) == 0
    numeric = pd.to_numeric(lab.loc[~qualitative, "value"], errors="coerce")
    assert int(numeric.isna().sum()) == 0
    assert float(numeric.min()) > 0
    assert set(lab["operator"].dropna()) <= {"<", ">"}
    assert float(lab["operator"].isna().mean()) > 0.9
    hba1c_units = set(lab.loc[lab["analysiscode"] == "NPU27300", "unit"])
    assert hba1c_units == {"mmol/mol"}


def test_municipal_care_codes(lake):
    indsats = lake["fsiii_indsats"]
    assert _bad(indsats["indsats_kode"], r"H[12]\.\d{1,2}") == []
    assert set(indsats["paragraf"]) == {"83", "83a"}
    assert set(indsats["status"]) == {"planlagt", "leveret"}
    reablement = indsats["paragraf"] == "83a"
    assert _bad(indsats.loc[reablement, "indsats_kode"], r"H2\.\d+") == []
    assert _bad(indsats.loc[~reablement, "indsats_kode"], r"H1\.\d+") == []
    meals = indsats["indsats_kode"] == "H1.11"
    assert int(indsats.loc[meals, "timer_pr_uge"].notna().sum()) == 0  # meals come untimed
    assert float(indsats.loc[~meals, "timer_pr_uge"].min()) > 0
    tilstand = lake["fsiii_tilstand"]
    assert _bad(tilstand["tilstand_kode"], r"J\d\.\d") == []
    assert set(tilstand["svaerhedsgrad"]) <= {0, 1, 2, 3, 4, 9}


def test_epj_observations(lake):
    epj = lake["epj_observation"]
    assert set(epj["observation"]) == {"BT_SYS", "BT_DIA", "PULS", "SAT", "BMI", "RYGNING"}
    smoking = epj["observation"] == "RYGNING"
    assert int(epj.loc[smoking, "vaerdi"].notna().sum()) == 0
    assert int(epj.loc[smoking, "vaerdi_tekst"].isna().sum()) == 0
    assert int(epj.loc[~smoking, "vaerdi"].isna().sum()) == 0
    assert int(epj.loc[~smoking, "vaerdi_tekst"].notna().sum()) == 0
    systolic = float(epj.loc[epj["observation"] == "BT_SYS", "vaerdi"].median())
    assert 110 < systolic < 160
