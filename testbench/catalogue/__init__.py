"""The spoke's front door: a lake's HealthDCAT-AP catalogue and access requests to it.

``describe`` reads a lake inside its boundary into one disclosure-checked description;
``dcat`` renders it as HealthDCAT-AP RDF and ``shacl`` checks that against the shapes in
``shapes/``; ``publish`` logs it (and access requests' status) to MLflow for the
dashboard; ``access`` keeps the requests and their decisions.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testbench.catalogue.access import AccessRegister, AccessRequest, parse_period
    from testbench.catalogue.dcat import Publisher, build_graph, serialize
    from testbench.catalogue.describe import describe_lake
    from testbench.catalogue.errors import (
        AccessError,
        AccessRefused,
        CatalogueError,
        RequestNotFound,
    )
    from testbench.catalogue.publish import log_catalogue, log_request_status
    from testbench.catalogue.shacl import ShaclResult, validate_catalogue

# Each name from its module, imported on first use: an access request need not import the
# lake description (the twin's evaluation, scipy, scikit-learn), nor `--help` anything.
_HOME = {
    "AccessError": "errors",
    "AccessRefused": "errors",
    "AccessRegister": "access",
    "AccessRequest": "access",
    "CatalogueError": "errors",
    "Publisher": "dcat",
    "RequestNotFound": "errors",
    "ShaclResult": "shacl",
    "build_graph": "dcat",
    "describe_lake": "describe",
    "log_catalogue": "publish",
    "log_request_status": "publish",
    "parse_period": "access",
    "serialize": "dcat",
    "validate_catalogue": "shacl",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)


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
