"""Which tables the register simulator makes, their keys and how they join."""

from __future__ import annotations

from generators.relations import Relation

# Parents before children: a loader can create and check them in this order.
REGISTER_TABLES: tuple[str, ...] = (
    "bef",  # population (CPR via Statistics Denmark's BEF)
    "dod",  # deaths (Dødsårsagsregisteret / DOD)
    "lpr_a_kontakt",  # hospital contacts (National Patient Register, LPR3)
    "lpr_a_diagnose",  # diagnoses per contact
    "lpr_a_procregistrering",  # procedures per contact
    "epj_observation",  # regional EPJ observations per contact
    "lmdb",  # prescriptions dispensed (National Prescription Registry)
    "lab",  # laboratory results (Laboratoriedatabasen)
    "fsiii_tilstand",  # municipal functional assessments (FSIII)
    "fsiii_indsats",  # municipal home-care interventions (FSIII)
)

# Table -> primary-key column, for the tables that have one.
REGISTER_PRIMARY_KEYS: dict[str, str] = {
    "bef": "pnr",
    "lpr_a_kontakt": "dw_ek_kontakt",
    "lpr_a_diagnose": "dw_ek_diagnose",
    "lpr_a_procregistrering": "dw_ek_procedureregistrering",
    "epj_observation": "observation_id",
    "fsiii_indsats": "indsats_id",
}

REGISTER_RELATIONS: list[Relation] = [
    Relation("dod", "pnr", "bef", "pnr"),
    Relation("lpr_a_kontakt", "pnr", "bef", "pnr"),
    Relation("lpr_a_diagnose", "dw_ek_kontakt", "lpr_a_kontakt", "dw_ek_kontakt"),
    Relation("lpr_a_procregistrering", "dw_ek_kontakt", "lpr_a_kontakt", "dw_ek_kontakt"),
    Relation("epj_observation", "dw_ek_kontakt", "lpr_a_kontakt", "dw_ek_kontakt"),
    Relation("lmdb", "pnr", "bef", "pnr"),
    Relation("lab", "patient_cpr", "bef", "pnr"),
    Relation("fsiii_tilstand", "pnr", "bef", "pnr"),
    Relation("fsiii_indsats", "pnr", "bef", "pnr"),
]
