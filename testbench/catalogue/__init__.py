"""The spoke's front door: a lake's HealthDCAT-AP catalogue and access requests to it.

``describe`` reads a lake inside its boundary into one disclosure-checked description;
``dcat`` renders it as HealthDCAT-AP RDF and ``shacl`` checks that against the shapes in
``shapes/``; ``publish`` logs it (and access requests' status) to MLflow for the
dashboard; ``access`` keeps the requests and their decisions.
"""

from testbench.catalogue.access import AccessRegister, AccessRequest, parse_period
from testbench.catalogue.dcat import Publisher, build_graph, serialize
from testbench.catalogue.describe import describe_lake
from testbench.catalogue.errors import AccessError, AccessRefused, CatalogueError, RequestNotFound
from testbench.catalogue.publish import log_catalogue, log_request_status
from testbench.catalogue.shacl import ShaclResult, validate_catalogue

__all__ = [
    "AccessError",
    "AccessRefused",
    "AccessRegister",
    "AccessRequest",
    "CatalogueError",
    "Publisher",
    "RequestNotFound",
    "ShaclResult",
    "build_graph",
    "describe_lake",
    "log_catalogue",
    "log_request_status",
    "parse_period",
    "serialize",
    "validate_catalogue",
]
