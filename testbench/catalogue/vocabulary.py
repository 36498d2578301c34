"""Fixed vocabulary of the catalogue: code systems, health categories, EU authority IRIs.

Everything a lake's description names beyond its own tables is defined here once, in Danish
and English, so the RDF export and the dashboard say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from testbench.lake.ingest import contracts

# EU authority tables and the EHDS Regulation (EU) 2025/327 by its ELI.
EHDS_ELI = "http://data.europa.eu/eli/reg/2025/327/oj"
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
DATA_THEME_HEALTH = "http://publications.europa.eu/resource/authority/data-theme/HEAL"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
COUNTRY_DK = "http://publications.europa.eu/resource/authority/country/DNK"
HEALTHDCATAP = "http://healthdataportal.eu/ns/health#"  # HealthDCAT-AP release 5 namespace


@dataclass(frozen=True)
class CodeSystem:
    """A code system a column uses, as the catalogue names it."""

    key: str  # short stable name, also the last part of its IRI, e.g. "icd10-d"
    da: str  # Danish name
    en: str  # English name


CODE_SYSTEMS: dict[str, CodeSystem] = {
    c.key: c
    for c in (
        CodeSystem("icd10-d", "ICD-10 (SKS, med D-præfiks)", "ICD-10 (Danish SKS, D prefix)"),
        CodeSystem("atc", "ATC-klassifikationen", "ATC classification"),
        CodeSystem("npu", "NPU-terminologien", "NPU terminology"),
        CodeSystem("fsiii", "Fællessprog III (FSIII)", "FSIII (Danish municipal care)"),
        CodeSystem("fsiii-severity", "FSIII funktionsniveau 0-4, 9", "FSIII severity 0-4, 9"),
        CodeSystem("dk-municipality", "Kommunekoder (98 kommuner)", "Danish municipality codes"),
        CodeSystem("dk-region", "Regionskoder 81-85", "Danish region codes 81-85"),
        CodeSystem("cpr-sex", "Køn i CPR (1, 2)", "Sex as in the CPR register (1, 2)"),
        CodeSystem("cpr-civil-status", "Civilstand i CPR", "Civil status as in CPR"),
    )
}

# The ingestion contracts' code formats -> the catalogue's code systems (one place: the
# contracts know the formats, this knows what to call them).
_BY_FORMAT: dict[str, str] = {
    contracts.ICD10.name: "icd10-d",
    contracts.ATC.name: "atc",
    contracts.NPU.name: "npu",
    contracts.FSIII.name: "fsiii",
    contracts.SEVERITY.name: "fsiii-severity",
    contracts.KOM.name: "dk-municipality",
    contracts.REG.name: "dk-region",
    contracts.KOEN.name: "cpr-sex",
    contracts.CIVST.name: "cpr-civil-status",
}


def code_system_of(rule: contracts.ColumnRule | None) -> str | None:
    """The code-system key of a contract column, or None when it uses none."""
    if rule is None or rule.code is None:
        return None
    return _BY_FORMAT.get(rule.code.name)


@dataclass(frozen=True)
class HealthCategory:
    """A category of electronic health data as EHDS Art. 51(1) lists them."""

    key: str  # last part of its IRI
    article: str  # the point of Art. 51(1) it stands for
    da: str  # Danish name
    en: str  # English name


HEALTH_CATEGORIES: dict[str, HealthCategory] = {
    c.key: c
    for c in (
        HealthCategory("ehr", "a", "Elektroniske patientjournaldata", "Electronic health records"),
        HealthCategory(
            "registries", "h", "Sundhedsregistre", "Population-based health data registries"
        ),
        HealthCategory(
            "social-care", "b", "Data om sundhedsdeterminanter og pleje", "Social and care data"
        ),
        HealthCategory("medicinal-products", "i", "Lægemiddeldata", "Data on medicinal products"),
        HealthCategory("laboratory", "a", "Laboratoriedata", "Laboratory results"),
        HealthCategory("administrative", "e", "Administrative data", "Administrative data"),
    )
}

# Which category each Danish source belongs to (a table without a contract: administrative).
SOURCE_CATEGORIES: dict[str, str] = {
    "bef": "registries",
    "dod": "registries",
    "lpr_a_kontakt": "registries",
    "lpr_a_diagnose": "registries",
    "lpr_a_procregistrering": "registries",
    "epj_observation": "ehr",
    "lmdb": "medicinal-products",
    "lab": "laboratory",
    "fsiii_tilstand": "social-care",
    "fsiii_indsats": "social-care",
}

# Danish one-liners of the sources (the contracts carry the English ones).
SOURCE_DA: dict[str, str] = {
    "bef": "befolkningsregisteret (CPR via Danmarks Statistiks BEF), én række pr. person",
    "dod": "dødsårsagsregisteret: dødsdato pr. person",
    "lpr_a_kontakt": "Landspatientregisteret (LPR3): hospitalskontakter",
    "lpr_a_diagnose": "LPR3: diagnoser på kontakter (ICD-10)",
    "lpr_a_procregistrering": "LPR3: procedurer på kontakter (SKS-koder)",
    "epj_observation": "regionale patientjournaler: observationer pr. kontakt",
    "lmdb": "Lægemiddeldatabasen: receptindløsninger (ATC)",
    "lab": "Laboratoriedatabasen: analyser (NPU)",
    "fsiii_tilstand": "kommunal pleje (FSIII): tilstande med funktionsniveau",
    "fsiii_indsats": "kommunal pleje (FSIII): indsatser efter Serviceloven §83/83a",
}
