"""A light validation spec for tests: quick to run on a small simulated lake.

The hip-fracture example needs about 20,000 simulated persons for a usable cohort; this
spec (a hospital contact in 2023-24, from age, sex, region and earlier contacts) works on
a few hundred persons with only the `bef` and `lpr_a_kontakt` tables.
"""

from __future__ import annotations

from pathlib import Path

COHORT = """\
SELECT b.pnr AS person_id,
       date_diff('year', b.foed_dag, DATE '2023-01-01') AS age,
       CAST(b.koen AS VARCHAR) AS sex,
       CAST(b.reg AS VARCHAR) AS region,
       count(k.pnr) FILTER (WHERE k.kont_starttidspunkt < TIMESTAMP '2023-01-01')
           AS contacts_before,
       CAST(count(k.pnr) FILTER (WHERE k.kont_starttidspunkt >= TIMESTAMP '2023-01-01') > 0
            AS INTEGER) AS contact_2023
FROM bef b
LEFT JOIN lpr_a_kontakt k ON k.pnr = b.pnr
WHERE b.foed_dag < DATE '2023-01-01'
GROUP BY ALL
"""

MODEL = """\
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_model():
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "contacts_before"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "region"]),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=500))])
"""

TABLES = ("bef", "lpr_a_kontakt")  # what the spec reads (a twin of these is enough)


def write_contact_spec(
    folder: Path, folds: int = 3, bootstrap: int = 40, model: str = MODEL
) -> Path:
    """Write spec.yaml and model.py into ``folder``; return the spec's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.py").write_text(model)
    cohort = "\n".join("  " + line for line in COHORT.splitlines())
    spec = folder / "spec.yaml"
    spec.write_text(
        "name: contact-2023\n"
        "description: Any hospital contact in 2023-24 (a test spec).\n"
        "task: binary_classification\n"
        f"cohort: |\n{cohort}\n"
        "target: contact_2023\n"
        "features: [age, sex, region, contacts_before]\n"
        "id_column: person_id\n"
        "subgroups: [sex, region]\n"
        "model: model.py:build_model\n"
        f"evaluation: {{folds: {folds}, bootstrap: {bootstrap}, seed: 3, threshold: 0.5}}\n"
    )
    return spec
