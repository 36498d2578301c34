"""What identifiers, counts and personal numbers look like, defined once for the checker.

The CPR and pseudonym shapes come from :mod:`testbench.lake.ingest.pseudonyms`, which writes the
pseudonyms, so the checker refuses exactly what ingestion produces. Shapes that merely look
similar stay allowed: MLflow run ids (32 hex), spec and lake hashes (64 hex) and twin ids
such as ``20261122T101500-3f9a1c`` are neither a CPR number nor a 16-hex pseudonym.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from testbench.lake.ingest.pseudonyms import CPR_SHAPE, PSEUDONYM_LENGTH

# Keys and columns that hold counts of persons (or of their records). The checker applies
# the min_count rule to every value under one of these names, in evidence and frames alike.
COUNT_KEYS = frozenset(
    {
        "n",
        "events",
        "non_events",
        "n_events",
        "n_non_events",
        "n_train",
        "n_test",
        "n_members",
        "n_non_members",
        "rows",
        "persons",
        "count",
        "contributors",
        "quarantined",
    }
)

# Evidence containers whose keys are names the tenant chose (tables, columns, SDMetrics'
# properties), not field names: under them a table called "persons" or "events" is a name,
# so neither the count rule nor the identifier rule reads meaning into the key. Their
# values are still checked as usual (a mapping value's own keys are field names again).
NAME_KEYED = frozenset({"tables", "drift", "skipped", "properties", "diagnostic_properties"})

# Names of columns or keys that identify a person or a unit (register spellings included):
# CPR number and its pseudonym (pnr, patient_cpr), and LPR contact and course ids.
IDENTIFIER_NAMES = frozenset(
    {
        "pnr",
        "cpr",
        "cprnr",
        "cpr_nr",
        "patient_cpr",
        "person_id",
        "patient_id",
        "citizen_id",
        "borger_id",
        "pseudonym",
        "unit_id",
        "dw_ek_kontakt",  # LPR3 contact id
        "dw_ek_forloeb",  # LPR3 course-of-care id
    }
)
# Any name with "cpr" or "pnr" as an underscore-separated part, e.g. "mother_pnr".
_IDENTIFIER_PART = re.compile(r"(?:^|_)(?:cpr|pnr)(?:_|$)")

# A whole value that is a pseudonym: exactly 16 hex digits (either case).
_PSEUDONYM_WHOLE = re.compile(rf"[0-9a-fA-F]{{{PSEUDONYM_LENGTH}}}")
# A CPR number as a token inside text ("pt. 010203-1234"). Letters, digits or dashes on
# either side make it part of something else (a twin id "...T101500-1234ab" is not one).
_CPR_TOKEN = re.compile(r"(?<![A-Za-z0-9-])\d{6}-\d{4}(?![A-Za-z0-9-])")
# A pseudonym as a token inside text; inside a longer hex run (a hash) it is not one.
_PSEUDONYM_TOKEN = re.compile(rf"(?<![0-9A-Za-z])[0-9a-fA-F]{{{PSEUDONYM_LENGTH}}}(?![0-9A-Za-z])")

# Ten digits or sixteen hex digits in a row, anywhere (see safe_label).
_LONG_RUN = re.compile(rf"\d{{10}}|[0-9a-fA-F]{{{PSEUDONYM_LENGTH}}}")


def is_identifier_name(name: object, extra: Iterable[str] = ()) -> bool:
    """Does a key or column name denote a person or unit identifier?

    Args:
        name: The key or column name.
        extra: More identifier names, e.g. the spec's ``id_column``.

    Returns:
        True for names in :data:`IDENTIFIER_NAMES`, in ``extra``, or with a ``cpr``/``pnr`` part.
    """
    if not isinstance(name, str):
        return False
    lowered = name.strip().lower()
    extras = {e.lower() for e in extra}
    return (
        lowered in IDENTIFIER_NAMES
        or lowered in extras
        or _IDENTIFIER_PART.search(lowered) is not None
    )


def sensitive_string_rule(text: str) -> str | None:
    """Which rule a string breaks: ``"cpr"``, ``"pseudonym"``, or None when it is safe.

    A whole value shaped as a CPR number (``DDMMYY-SSSS`` or ten digits) or a 16-hex
    pseudonym is refused, and so is either written as a token inside longer text.
    """
    stripped = text.strip()
    if CPR_SHAPE.fullmatch(stripped) or _CPR_TOKEN.search(text):
        return "cpr"
    if _PSEUDONYM_WHOLE.fullmatch(stripped) or _PSEUDONYM_TOKEN.search(text):
        return "pseudonym"
    return None


def safe_label(label: object, fallback: str) -> str:
    """``label`` as text for a ``where`` path, or ``fallback`` if the label itself is sensitive.

    Paths name subgroup levels and table rows; a label that looks like a CPR number or a
    pseudonym must not reach an error message or the manifest, so it is replaced.
    """
    text = str(label)
    # Stricter than for values: a label is glued into a path ("sex=..."), so any run of
    # ten digits or sixteen hex digits inside it is treated as a possible personal number.
    if _LONG_RUN.search(text) or sensitive_string_rule(text) is not None or len(text) > 64:
        return fallback
    return text
