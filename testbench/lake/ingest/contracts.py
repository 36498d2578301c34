"""Data contracts: what an extract of each Danish source must look like.

A contract names a source's columns as the registers' research deliveries spell
them (steno-aarhus/registers-guide; the register simulator in
:mod:`generators.registers` uses the same names), their types, which must be
present, which may be empty, their code systems, and the source's keys. At
ingestion every row is checked against it; a row that fails goes to quarantine
with the reason, never silently into the lake.

Column names in a file are matched without regard to case or surrounding blanks
(DST delivers ``DW_EK_KONTAKT``, the simulator ``dw_ek_kontakt``) and stored under
the contract's spelling. Columns a contract does not name are kept, with their
types inferred.

The ``dw_ek_*`` keys are text: Statistics Denmark delivers them as opaque text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.registers.geography import KOM_TO_REG, REGIONS
from testbench.lake.ingest.column_types import ColumnType
from testbench.lake.ingest.errors import UnknownContract

T = ColumnType


@dataclass(frozen=True)
class CodeFormat:
    """A code system: a pattern every code matches in full, or a closed list of codes."""

    name: str  # how an error message names it, e.g. "ICD-10 code with the D prefix"
    example: str  # a valid code, for messages
    pattern: str | None = None  # regular expression the whole code must match
    allowed: frozenset[str] | None = None  # or: the only codes there are


ICD10 = CodeFormat("ICD-10 code with the D prefix", "DI50", pattern=r"D[A-Z][0-9]{2}[0-9A-Z]{0,3}")
ATC = CodeFormat("ATC code", "A10BA02", pattern=r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}")
NPU = CodeFormat("NPU code", "NPU27300", pattern=r"(?:NPU|DNK)[0-9]{5}")
KOM = CodeFormat("municipality code", "101", allowed=frozenset(KOM_TO_REG))  # the 98 since 2007
REG = CodeFormat("region code 81-85", "84", allowed=frozenset(REGIONS))
KOEN = CodeFormat("sex code, 1 male or 2 female", "2", allowed=frozenset({"1", "2"}))
# BEF civil status: U unmarried, G married, F divorced, E widowed, P registered partnership,
# O dissolved partnership, L longest-living partner, D dead, 9 unknown.
CIVST = CodeFormat("civil status code", "G", allowed=frozenset("UGFEPOLD9"))
# FSIII (Fællessprog III) conditions J1.1, interventions H1.11: a letter, area, item.
FSIII = CodeFormat("FSIII code", "H1.1", pattern=r"[A-Z][0-9]{1,2}(?:\.[0-9]{1,2}){1,2}")
# FSIII severity (functional level): 0 none to 4 total limitation, 9 not relevant/assessed.
SEVERITY = CodeFormat("FSIII severity 0-4 or 9", "2", allowed=frozenset("012349"))


@dataclass(frozen=True)
class ColumnRule:
    """One column of a contract."""

    name: str  # as the register spells it, e.g. "diag_kode"
    kind: ColumnType  # its type
    required: bool = True  # the file must have the column
    nullable: bool = True  # a row may leave it empty
    code: CodeFormat | None = None  # code system of a CODE (or INT) column
    meaning: str = ""  # what the register column holds, for a newcomer
    # An opaque identifier (dw_ek_kontakt, a declared key): not searched for CPR numbers,
    # since a 10-digit key can look like one by chance. Every other column is.
    identifier: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of the ingested table references ``parent_table.parent_column``."""

    column: str
    parent_table: str
    parent_column: str

    def __str__(self) -> str:
        return f"{self.column} -> {self.parent_table}.{self.parent_column}"


@dataclass(frozen=True)
class Contract:
    """What an extract of one source must look like."""

    source: str  # the source's table name, e.g. "lpr_a_kontakt"
    description: str  # one line on what the source is
    columns: tuple[ColumnRule, ...]  # the columns it names
    primary_key: str | None = None  # unique, non-empty key (when the file has that column)
    foreign_keys: tuple[ForeignKey, ...] = ()  # references to other sources
    intervals: tuple[tuple[str, str], ...] = ()  # (start, end) column pairs: end >= start
    municipality_region: tuple[str, str] | None = None  # (kom, reg) columns that must agree
    cpr_columns: tuple[str, ...] = field(init=False)  # derived: the CPR columns

    def __post_init__(self) -> None:
        cpr = tuple(c.name for c in self.columns if c.kind is ColumnType.CPR)
        object.__setattr__(self, "cpr_columns", cpr)

    def rule(self, name: str) -> ColumnRule | None:
        """The rule for column ``name``, if the contract names it."""
        return next((c for c in self.columns if c.name == name), None)


def _person(name: str = "pnr") -> ColumnRule:
    return ColumnRule(name, T.CPR, nullable=False, meaning="the person (CPR number)")


def _to_bef(column: str = "pnr") -> ForeignKey:
    return ForeignKey(column, "bef", "pnr")


def _to_contact() -> ForeignKey:
    return ForeignKey("dw_ek_kontakt", "lpr_a_kontakt", "dw_ek_kontakt")


def _key(name: str, required: bool = True, nullable: bool = False, meaning: str = "") -> ColumnRule:
    return ColumnRule(name, T.TEXT, required, nullable, meaning=meaning, identifier=True)


_CONTACT = _key("dw_ek_kontakt", meaning="the hospital contact")

CONTRACTS: dict[str, Contract] = {
    c.source: c
    for c in (
        Contract(
            "bef",
            "population register (CPR via Statistics Denmark's BEF), one row per person",
            (
                _person(),
                ColumnRule("koen", T.INT, nullable=False, code=KOEN, meaning="sex"),
                ColumnRule("foed_dag", T.DATE, nullable=False, meaning="date of birth"),
                ColumnRule("kom", T.CODE, required=False, code=KOM, meaning="municipality"),
                ColumnRule("reg", T.CODE, required=False, code=REG, meaning="region"),
                ColumnRule("civst", T.CODE, required=False, code=CIVST, meaning="civil status"),
            ),
            primary_key="pnr",
            municipality_region=("kom", "reg"),
        ),
        Contract(
            "dod",
            "deaths (Dødsårsagsregisteret), one row per death",
            (_person(), ColumnRule("doddato", T.DATE, nullable=False, meaning="date of death")),
            foreign_keys=(_to_bef(),),
        ),
        Contract(
            "lpr_a_kontakt",
            "hospital contacts (National Patient Register, LPR3 research format)",
            (
                _key("dw_ek_kontakt", meaning="contact key"),
                _key("dw_ek_forloeb", required=False, nullable=True, meaning="course of care"),
                _person(),
                ColumnRule("kont_starttidspunkt", T.TIMESTAMP, nullable=False, meaning="start"),
                ColumnRule("kont_sluttidspunkt", T.TIMESTAMP, required=False, meaning="end"),
                ColumnRule("kont_type", T.TEXT, required=False, meaning="SKS contact type"),
                ColumnRule("prioritet", T.TEXT, required=False, meaning="acute or planned"),
                ColumnRule("lprindberetningssystem", T.TEXT, required=False, meaning="LPR2/LPR3"),
            ),
            primary_key="dw_ek_kontakt",
            foreign_keys=(_to_bef(),),
            intervals=(("kont_starttidspunkt", "kont_sluttidspunkt"),),
        ),
        Contract(
            "lpr_a_diagnose",
            "diagnoses on hospital contacts (no pnr: they hang off the contact)",
            (
                _key("dw_ek_diagnose", required=False),
                _CONTACT,
                ColumnRule("diag_kode", T.CODE, nullable=False, code=ICD10, meaning="diagnosis"),
                ColumnRule("diag_kode_type", T.TEXT, required=False, meaning="A action, B other"),
                ColumnRule("senere_afkraeftet", T.TEXT, required=False, meaning="later disproved"),
            ),
            primary_key="dw_ek_diagnose",
            foreign_keys=(_to_contact(),),
        ),
        Contract(
            "lpr_a_procregistrering",
            "procedures on hospital contacts (SKS procedure codes)",
            (
                _key("dw_ek_procedureregistrering", required=False),
                _CONTACT,
                ColumnRule("proc_kode", T.TEXT, nullable=False, meaning="SKS procedure code"),
                ColumnRule("proc_starttidspunkt", T.TIMESTAMP, required=False, meaning="when"),
            ),
            primary_key="dw_ek_procedureregistrering",
            foreign_keys=(_to_contact(),),
        ),
        Contract(
            "epj_observation",
            "regional EPJ observations (vitals, BMI, smoking) per hospital contact",
            (
                _key("observation_id", required=False),
                _CONTACT,
                ColumnRule("observation", T.TEXT, nullable=False, meaning="what was measured"),
                ColumnRule("observation_tidspunkt", T.TIMESTAMP, nullable=False, meaning="when"),
                ColumnRule("vaerdi", T.FLOAT, required=False, meaning="the number"),
                ColumnRule("enhed", T.TEXT, required=False, meaning="its unit"),
                ColumnRule("vaerdi_tekst", T.TEXT, required=False, meaning="a text result"),
            ),
            primary_key="observation_id",
            foreign_keys=(_to_contact(),),
        ),
        Contract(
            "lmdb",
            "prescriptions dispensed (National Prescription Registry)",
            (
                _person(),
                ColumnRule("eksd", T.DATE, nullable=False, meaning="dispensing date"),
                ColumnRule("atc", T.CODE, nullable=False, code=ATC, meaning="drug (ATC)"),
                ColumnRule("vnr", T.TEXT, required=False, meaning="product number"),
                ColumnRule("apk", T.FLOAT, required=False, meaning="number of packs"),
                ColumnRule("packsize", T.FLOAT, required=False, meaning="units per pack"),
            ),
            foreign_keys=(_to_bef(),),
        ),
        Contract(
            "lab",
            "laboratory results (Laboratoriedatabasen)",
            (
                _person("patient_cpr"),
                ColumnRule("samplingdate", T.DATE, nullable=False, meaning="sampling date"),
                ColumnRule("analysiscode", T.CODE, nullable=False, code=NPU, meaning="analysis"),
                ColumnRule("value", T.TEXT, required=False, meaning="result as text"),
                ColumnRule("unit", T.TEXT, required=False),
                ColumnRule("operator", T.TEXT, required=False, meaning="< or > a limit"),
                ColumnRule("referenceinterval_lowerlimit", T.FLOAT, required=False),
                ColumnRule("referenceinterval_upperlimit", T.FLOAT, required=False),
            ),
            foreign_keys=(_to_bef("patient_cpr"),),
        ),
        Contract(
            "fsiii_tilstand",
            "municipal functional assessments (FSIII conditions)",
            (
                _person(),
                ColumnRule("tilstand_kode", T.CODE, nullable=False, code=FSIII),
                ColumnRule("svaerhedsgrad", T.INT, nullable=False, code=SEVERITY),
                ColumnRule("vurderingsdato", T.DATE, nullable=False, meaning="assessed on"),
            ),
            foreign_keys=(_to_bef(),),
        ),
        Contract(
            "fsiii_indsats",
            "municipal home-care interventions (FSIII, Serviceloven section 83/83a)",
            (
                _key("indsats_id", required=False),
                _person(),
                ColumnRule("indsats_kode", T.CODE, nullable=False, code=FSIII),
                ColumnRule("paragraf", T.TEXT, required=False, meaning="Serviceloven section"),
                ColumnRule("status", T.TEXT, required=False, meaning="planlagt or leveret"),
                ColumnRule("startdato", T.DATE, nullable=False),
                ColumnRule("slutdato", T.DATE, required=False, meaning="empty while running"),
                ColumnRule("timer_pr_uge", T.FLOAT, required=False, meaning="hours a week"),
            ),
            primary_key="indsats_id",
            foreign_keys=(_to_bef(),),
            intervals=(("startdato", "slutdato"),),
        ),
    )
}


def get_contract(name: str) -> Contract:
    """The contract of source ``name``.

    Raises:
        UnknownContract: no such contract; the message lists the known ones.
    """
    try:
        return CONTRACTS[name]
    except KeyError:
        raise UnknownContract(
            f"no contract {name!r}; known contracts: {', '.join(CONTRACTS)}. "
            "Leave out the contract to ingest any table with declared keys"
        ) from None
