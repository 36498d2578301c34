"""The human-readable parts of a twin bundle: its data dictionary and its README.

Kept apart from :mod:`.export` (which writes, checks and loads bundles) because
this is prose and presentation: an SME developer reads these files, no code does.
Column meanings and code systems come from the Danish source contracts
(:mod:`testbench.lake.ingest.contracts`) where a table is one of those sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from generators.relations import Relation
from testbench.lake.ingest.column_types import ColumnType
from testbench.lake.ingest.contracts import CONTRACTS, ColumnRule

OWN_DATA = "SME's own data"  # meaning of a column of a table no contract describes
DICTIONARY_COLUMNS = ["table", "column", "type", "key", "meaning", "code_system"]
PERSON_MEANING = (
    "the person: a random id in the twin (in the lake, a keyed pseudonym of the CPR number)"
)


def _column_type(series: pd.Series, rule: ColumnRule | None) -> str:
    """The type a developer gets when reading the column from the bundle's Parquet."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        if rule is not None and rule.kind in (ColumnType.DATE, ColumnType.TIMESTAMP):
            return rule.kind.value
        present = series.dropna()
        return "date" if (present == present.dt.normalize()).all() else "timestamp"
    if rule is not None and rule.kind is ColumnType.CPR:
        return "text (person id)"
    if rule is not None and rule.kind is ColumnType.CODE:
        return "code"
    return "text"


def data_dictionary(
    tables: Mapping[str, pd.DataFrame],
    relations: list[Relation],
    primary_keys: Mapping[str, str],
) -> pd.DataFrame:
    """One row per column of every twin table: type, key role, meaning and code system.

    Args:
        tables: table name -> twin frame (only dtypes and, for dates, values are read).
        relations: foreign keys between the tables.
        primary_keys: table -> primary key column.

    Returns:
        A frame with the columns of :data:`DICTIONARY_COLUMNS`.
    """
    rows: list[dict[str, str]] = []
    for name, frame in tables.items():
        contract = CONTRACTS.get(name)
        for column in frame.columns:
            rule = contract.rule(column) if contract is not None else None
            roles = ["primary key"] if primary_keys.get(name) == column else []
            roles += [
                f"references {r.parent_table}.{r.parent_column}"
                for r in relations
                if r.child_table == name and r.child_column == column
            ]
            if contract is None:
                meaning = OWN_DATA
            elif rule is None:
                meaning = f"not in the {name} source's contract (kept as delivered)"
            elif rule.kind is ColumnType.CPR:
                meaning = PERSON_MEANING
            else:
                meaning = rule.meaning
            code = rule.code if rule is not None else None
            rows.append(
                {
                    "table": name,
                    "column": str(column),
                    "type": _column_type(frame[column], rule),
                    "key": "; ".join(roles),
                    "meaning": meaning,
                    "code_system": f"{code.name} (e.g. {code.example})" if code else "",
                }
            )
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def dictionary_markdown(dictionary: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> str:
    """The data dictionary as Markdown: one section per table with its source and rows.

    Args:
        dictionary: what :func:`data_dictionary` returned.
        tables: the same twin tables (for row counts).

    Returns:
        Markdown text.
    """
    lines = ["# Data dictionary", ""]
    lines.append(
        "Every table and column of the twin. Keys hold fresh random ids: they join the twin's "
        "tables to each other exactly as in the real lake, and match no real record."
    )
    for name, frame in tables.items():
        contract = CONTRACTS.get(name)
        source = contract.description if contract is not None else OWN_DATA
        lines += ["", f"## `{name}`", "", f"{source}; {len(frame):,} rows in the twin.", ""]
        lines.append("| column | type | key | meaning | code system |")
        lines.append("|---|---|---|---|---|")
        for row in dictionary[dictionary["table"] == name].itertuples(index=False):
            cells = [f"`{row.column}`", row.type, row.key, row.meaning, row.code_system]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def bundle_readme(manifest: Mapping[str, Any]) -> str:
    """The README an SME developer reads first: what the twin is and is not, how to use it.

    Args:
        manifest: the bundle's ``bundle.json`` content.

    Returns:
        Markdown text.
    """
    fidelity = manifest.get("fidelity", {})
    quality = fidelity.get("quality")
    score = f"{quality:.2f}" if isinstance(quality, int | float) else "see evaluation.json"
    tables = "\n".join(
        f"| `{name}` | {info['rows']:,} | {info.get('primary_key') or ''} |"
        for name, info in manifest["tables"].items()
    )
    links = [
        (f"{r['child_table']}.{r['child_column']}", f"{r['parent_table']}.{r['parent_column']}")
        for r in manifest["relations"]
    ]
    relations = "\n".join(f"- `{child}` -> `{parent}`" for child, parent in links) or "- (none)"
    tenant = manifest["tenant"]
    return f"""# Synthetic twin `{manifest["twin_id"]}` of the `{tenant}` lake

## What this is

A **synthetic** copy of your OSCAR HOST lake, made with SDV ({manifest.get("synthesizer", "")}
synthesizer) for developing and testing code outside the lake. It has the same tables,
columns, column types, key relations and codes (see the data dictionary) as the real
lake, and its statistics resemble the real data: overall fidelity (SDMetrics quality
score, 0-1) **{score}**. Per-column and per-table scores, the privacy measures and the
privacy gate's decision are in `evaluation.json` and `report.html`.

| table | rows | primary key |
|---|---|---|
{tables}

Relations (child column -> parent key):

{relations}

Column meanings, types and code systems: `data_dictionary.md` (and `.csv`).
How to load it in code: `metadata.json` (SDV metadata) and `bundle.json`.

## Can anyone tell who was in the real data?

Before the twin left the lake, the privacy gate attacked it the way an outsider would: with
the twin and their own data about the same population, guess for each person whether they
were among the persons the twin was made from. The attack compares how densely the twin
and the population surround each person (a twin that memorised someone is denser around
them). It was tried on persons who were in the real data and persons who were not; its
score (AUC, 0.5 = guessing) and the share of persons it finds while falsely accusing 1% or
10% of the others are in `evaluation.json` under `privacy.membership`, each with a 95%
interval. The gate passes only when the interval's upper end stays at most 0.6 (AUC), 0.05
and 0.20. It also counts twin persons far closer to a real person than real persons the
twin never saw are (`privacy.near_copies`): at most 0.5% may be.

## What this is NOT

- **No row is a real person.** Every row was drawn from a statistical model; ids are fresh
  random values that match no real record. It passed a privacy gate before it left the lake.
- **Not for clinical or scientific conclusions.** Estimates, effects and model performance
  on the twin say nothing reliable about patients; only a run inside the lake does.
- **Rare categories are missing.** Categories held by fewer than 5 persons were dropped
  before the model was fitted, so rare codes do not occur here but do in the real lake:
  write code that copes with codes it has not seen.
- **Relationships beyond those modelled may be weak.** Each table is modelled with its
  parent's attributes and the number of children per parent; associations across
  distant tables, over time, or among many columns at once may be weaker than in reality.

## How to develop against it

1. Write a validation spec (`spec.yaml`) and your model code (`model.py`):

   ```yaml
   name: my-model
   task: binary_classification        # or regression
   cohort: |                          # DuckDB SQL over these tables, one row per unit
     SELECT ... FROM bef JOIN lpr_a_kontakt USING (pnr) ...
   target: outcome_column
   features: [age, sex]               # default: all columns but target, id and subgroups
   id_column: pnr
   subgroups: [sex]
   model: model.py:build_model        # returns an unfitted scikit-learn estimator
   evaluation: {{folds: 5, bootstrap: 500, seed: 7}}
   ```

2. Run it on this bundle, on your laptop: `testbench validate spec.yaml --bundle DIR`
   (DIR is this folder). The cohort SQL sees exactly these tables.
3. When it runs cleanly, submit it for a real run inside the lake:
   `testbench submit spec.yaml --tenant {tenant}`. The same spec runs unchanged there;
   you receive aggregate, disclosure-checked evidence, never rows.

## Licence

The twin was generated with SDV, which is licensed under the Business Source License 1.1
(BUSL-1.1). Using this data for your own development is fine; offering a synthetic-data
service built on SDV needs a commercial licence from DataCebo.
"""


__all__ = [
    "DICTIONARY_COLUMNS",
    "OWN_DATA",
    "bundle_readme",
    "data_dictionary",
    "dictionary_markdown",
]
