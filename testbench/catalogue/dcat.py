"""A lake's description as a HealthDCAT-AP catalogue (RDF, built with rdflib).

One ``dcat:Catalog`` holds one ``dcat:Dataset`` per lake (non-public), with one
``dcat:Distribution`` per table (its columns as a CSVW table schema, with their code
systems) and, when the twin's gate passed, the synthetic twin as a separate
``dcat:Distribution`` with public access rights. Only figures from the disclosure-checked
description (:func:`testbench.catalogue.describe.describe_lake`) are used: a count shown as
``"<5"`` there is left out here (a HealthDCAT-AP count is a number or absent).

IRIs under ``base_uri`` are ours (dataset, distributions, code systems, health categories);
EU authority tables and the EHDS Regulation are named by their official IRIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from testbench.catalogue.describe import require_description
from testbench.catalogue.errors import CatalogueError
from testbench.catalogue.vocabulary import (
    ACCESS_RIGHT,
    CODE_SYSTEMS,
    COUNTRY_DK,
    DATA_THEME_HEALTH,
    EHDS_ELI,
    FILE_TYPE,
    HEALTHDCATAP,
    LANGUAGE,
)

DCATAP = Namespace("http://data.europa.eu/r5r/")
HDCAT = Namespace(HEALTHDCATAP)
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
FORMATS = {"turtle": "turtle", "jsonld": "json-ld"}
DEFAULT_BASE_URI = "https://catalogue.oscar-host.example/"  # set the real one with --base-uri


@dataclass(frozen=True)
class Publisher:
    """Who publishes the catalogue and whom to contact (defaults are placeholders)."""

    name: str = "OSCAR HOST"  # the platform operator
    email: str = "data@oscar-host.example"  # where access questions go
    hdab_name: str = "Sundhedsdatastyrelsen"  # the Danish health data access body
    hdab_url: str = "https://sundhedsdatastyrelsen.dk"


def build_graph(
    description: dict[str, Any],
    base_uri: str = DEFAULT_BASE_URI,
    publisher: Publisher | None = None,
) -> Graph:
    """The HealthDCAT-AP graph of one lake's description.

    Raises:
        CatalogueError: ``description`` is not a catalogue description.
    """
    d = require_description(description)
    who = publisher or Publisher()
    base = Namespace(base_uri if base_uri.endswith("/") else base_uri + "/")
    tenant = d["tenant"]
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT), ("dct", DCTERMS), ("dcatap", DCATAP), ("healthdcatap", HDCAT),
        ("vcard", VCARD), ("csvw", CSVW), ("foaf", FOAF), ("skos", SKOS),
    ):  # fmt: skip
        g.bind(prefix, ns)

    legislation = URIRef(EHDS_ELI)
    catalog, dataset = base["catalogue"], base[f"dataset/{tenant}"]
    agent = _agent(g, base["publisher"], who.name, f"mailto:{who.email}", None)
    hdab = _agent(g, base["hdab"], who.hdab_name, None, who.hdab_url)

    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("OSCAR HOST datakatalog", lang="da")))
    g.add((catalog, DCTERMS.title, Literal("OSCAR HOST data catalogue", lang="en")))
    g.add((catalog, DCTERMS.description, Literal("Datasøer i OSCAR HOST.", lang="da")))
    g.add((catalog, DCTERMS.description, Literal("Data lakes hosted by OSCAR HOST.", lang="en")))
    g.add((catalog, DCTERMS.publisher, agent))
    g.add((catalog, DCATAP.applicableLegislation, legislation))
    g.add((catalog, DCAT.dataset, dataset))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.identifier, Literal(f"{base_uri.rstrip('/')}/dataset/{tenant}")))
    for lang in ("da", "en"):
        g.add((dataset, DCTERMS.title, Literal(d["title"][lang], lang=lang)))
        g.add((dataset, DCTERMS.description, Literal(d["description"][lang], lang=lang)))
        g.add(
            (dataset, HDCAT.populationCoverage, Literal(d["population_coverage"][lang], lang=lang))
        )
        g.add((dataset, DCTERMS.language, URIRef(LANGUAGE + ("DAN" if lang == "da" else "ENG"))))
    g.add((dataset, DCTERMS.publisher, agent))
    g.add((dataset, HDCAT.hdab, hdab))
    g.add((dataset, DCAT.contactPoint, _contact(g, base["contact"], f"mailto:{who.email}", None)))
    g.add((dataset, DCTERMS.accessRights, URIRef(ACCESS_RIGHT + "NON_PUBLIC")))
    g.add((dataset, DCATAP.applicableLegislation, legislation))
    g.add((dataset, DCAT.theme, URIRef(DATA_THEME_HEALTH)))
    g.add((dataset, DCTERMS.spatial, URIRef(COUNTRY_DK)))
    g.add((dataset, DCTERMS.type, base["dataset-type/linked-health-data-lake"]))
    provenance = base[f"provenance/{tenant}"]
    g.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    g.add((provenance, RDFS.label, Literal(
        "Ingested under data contracts; CPR numbers replaced by keyed pseudonyms; "
        "every lake write and read is in a hash-chained audit log.", lang="en")))  # fmt: skip
    g.add((dataset, DCTERMS.provenance, provenance))
    for keyword in ("sundhedsdata", "registre", "syntetiske data"):
        g.add((dataset, DCAT.keyword, Literal(keyword, lang="da")))
    for keyword in ("health data", "registers", "synthetic data"):
        g.add((dataset, DCAT.keyword, Literal(keyword, lang="en")))
    for category in d["health_categories"]:
        node = base[f"health-category/{category['key']}"]
        g.add((dataset, HDCAT.healthCategory, node))
        _concept(g, node, category)
    for system in d["code_systems"]:
        node = base[f"coding-system/{system['key']}"]
        g.add((dataset, HDCAT.hasCodingSystem, node))
        _concept(g, node, system)
    _numbers(g, dataset, d)
    if d.get("period"):
        period = BNode()
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(d["period"]["start"], datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(d["period"]["end"], datatype=XSD.date)))
        g.add((dataset, DCTERMS.temporal, period))

    access = base[f"access/{tenant}"]
    for table in d["tables"]:
        dist = base[f"dataset/{tenant}/table/{table['name']}"]
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(table["name"])))
        for lang in ("da", "en"):
            g.add((dist, DCTERMS.description, Literal(table["description"][lang], lang=lang)))
        g.add((dist, DCAT.accessURL, access))
        g.add((dist, DCTERMS.accessRights, URIRef(ACCESS_RIGHT + "NON_PUBLIC")))
        g.add((dist, DCATAP.applicableLegislation, legislation))
        g.add((dist, DCTERMS.conformsTo, _schema(g, base, tenant, table)))
    twin = d.get("twin")
    if twin:
        dist = base[f"dataset/{tenant}/twin/{twin['id']}"]
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal("Syntetisk tvilling", lang="da")))
        g.add((dist, DCTERMS.title, Literal("Synthetic twin", lang="en")))
        quality = twin.get("quality")
        shown = f"{quality:.2f}" if isinstance(quality, int | float) else "n/a"
        g.add((dist, DCTERMS.description, Literal(
            f"Syntetisk tvilling af hele søen (samme tabeller og koder); privatlivsporten er "
            f"bestået; kvalitet {shown}.", lang="da")))  # fmt: skip
        g.add((dist, DCTERMS.description, Literal(
            f"Synthetic twin of the whole lake (same tables and codes); passed the privacy "
            f"gate; quality {shown}.", lang="en")))  # fmt: skip
        g.add((dist, DCAT.accessURL, base[f"twin/{tenant}/{twin['id']}"]))
        g.add((dist, DCTERMS.accessRights, URIRef(ACCESS_RIGHT + "PUBLIC")))
        g.add((dist, DCTERMS.format, URIRef(FILE_TYPE + "PARQUET")))
        g.add((dist, DCATAP.applicableLegislation, legislation))
    return g


def serialize(graph: Graph, fmt: str = "turtle") -> str:
    """The graph as Turtle or JSON-LD text.

    Raises:
        CatalogueError: an unknown format.
    """
    if fmt not in FORMATS:
        raise CatalogueError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    return str(graph.serialize(format=FORMATS[fmt]))


def _numbers(g: Graph, dataset: URIRef, d: dict[str, Any]) -> None:
    """Counts and age bounds as HealthDCAT-AP numbers; suppressed ones ("<5") left out."""
    pairs = [
        (HDCAT.numberOfRecords, d.get("rows")),
        (HDCAT.numberOfUniqueIndividuals, d.get("persons")),
    ]
    ages = d.get("typical_age") or {}
    pairs += [(HDCAT.minTypicalAge, ages.get("min")), (HDCAT.maxTypicalAge, ages.get("max"))]
    for prop, value in pairs:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            g.add((dataset, prop, Literal(value, datatype=XSD.nonNegativeInteger)))


def _agent(g: Graph, node: URIRef, name: str, email: str | None, url: str | None) -> URIRef:
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(name)))
    g.add((node, DCAT.contactPoint, _contact(g, URIRef(f"{node}/contact"), email, url)))
    return node


def _contact(g: Graph, node: URIRef, email: str | None, url: str | None) -> URIRef:
    g.add((node, RDF.type, VCARD.Kind))
    if email:
        g.add((node, VCARD.hasEmail, URIRef(email)))
    if url:
        g.add((node, VCARD.hasURL, URIRef(url)))
    return node


def _concept(g: Graph, node: URIRef, entry: dict[str, Any]) -> None:
    g.add((node, RDF.type, SKOS.Concept))
    g.add((node, SKOS.prefLabel, Literal(entry["da"], lang="da")))
    g.add((node, SKOS.prefLabel, Literal(entry["en"], lang="en")))


def _schema(g: Graph, base: Namespace, tenant: str, table: dict[str, Any]) -> URIRef:
    """A table's columns as a CSVW table schema, each with its meaning and code system."""
    node = base[f"dataset/{tenant}/table/{table['name']}/schema"]
    g.add((node, RDF.type, CSVW.Table))
    g.add((node, DCTERMS.title, Literal(table["name"])))
    for column in table["columns"]:
        col = URIRef(f"{node}/{column['name']}")
        g.add((node, CSVW.column, col))
        g.add((col, RDF.type, CSVW.Column))
        g.add((col, CSVW.name, Literal(column["name"])))
        g.add((col, CSVW.titles, Literal(column["name"])))
        g.add((col, CSVW.datatype, Literal(column["type"])))
        meaning = column["meaning"] or ("identifier" if column["identifier"] else column["name"])
        g.add((col, DCTERMS.description, Literal(meaning, lang="en")))
        if column["code_system"] in CODE_SYSTEMS:
            g.add((col, HDCAT.hasCodingSystem, base[f"coding-system/{column['code_system']}"]))
    return node
