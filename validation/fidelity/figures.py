"""Per-column comparisons of real and synthetic data, as publishable shares, and their figure.

The dashboard draws one bar chart per column from the ``columns`` part of the evidence; the
data come from :func:`compare_columns` and the chart from :func:`comparison_figure`, so the
CLI, the evidence and the dashboard show the same bins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from common.numbers import to_numbers
from validation.fidelity.bins import MISSING, Binned, category_bins, date_bins, number_bins
from validation.fidelity.columns import as_datetimes, as_labels, compared_columns, metadata_dict

if TYPE_CHECKING:
    import plotly.graph_objects as go

# Okabe & Ito's colour-blind-safe palette: blue for real, orange for synthetic.
REAL_COLOUR = "#0072B2"
SYNTHETIC_COLOUR = "#E69F00"
FONT_SIZE = 18  # px; read from the back of a meeting room


@dataclass(frozen=True)
class ColumnComparison:
    """Shares of real and synthetic rows per bin or category of one column."""

    table: str  # table name
    column: str  # column name
    kind: str  # "categorical" or "numeric" (numbers and dates)
    labels: list[str]  # bin or category labels, in display order
    real: list[float]  # share of real rows per label (sums to 1)
    synthetic: list[
        float
    ]  # share of synthetic rows per label (sums to 1, or 0 when there are none)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable form, as in the ``columns`` list of the evidence.

        The evidence is a file format and names the synthetic shares ``twin``
        (docs/evidence.md); the keys, and their order, are those of the evidence.
        """
        data = asdict(self)
        data["twin"] = data.pop("synthetic")
        return data


def _shares(counts: np.ndarray) -> list[float]:
    total = int(counts.sum())
    return [float(c) / total if total else 0.0 for c in counts]


def _with_missing(binned: Binned, real_missing: int, synthetic_missing: int) -> Binned:
    return Binned(
        [*binned.labels, MISSING],
        np.append(binned.real, real_missing),
        np.append(binned.synthetic, synthetic_missing),
    )


def _is_code(values: pd.Series, top: int) -> bool:
    # Few whole numbers (koen 1/2, severity 0-4 and 9) read better as categories than bins.
    return values.nunique() <= top and bool(np.all(np.mod(values.to_numpy(float), 1) == 0))


def _code_labels(values: pd.Series) -> pd.Series:
    # 1 and 1.0 are one code "1"; formatted once per distinct value, not per row.
    return values.map({v: f"{v:g}" for v in values.dropna().unique()})


def compare_column(
    real: pd.Series,
    synthetic: pd.Series,
    *,
    table: str,
    column: str,
    sdtype: str,
    min_count: int = 5,
    bins: int = 20,
    top: int = 10,
) -> ColumnComparison | None:
    """Compare one column's distribution in the real and the synthetic table.

    Numbers and dates are binned on edges taken from the real column; categories keep the
    ``top`` most common real ones and put the rest in "other". Bins and categories with
    fewer than ``min_count`` real rows are merged away (see :mod:`validation.fidelity.bins`).
    Missing values are a category of their own; for numbers and dates only when at least
    ``min_count`` real values are missing (otherwise shares are of present values).

    Args:
        real: the real column.
        synthetic: the synthetic column.
        table: table name, for the result.
        column: column name, for the result.
        sdtype: "numerical", "datetime", "categorical" or "boolean" (SDV sdtypes).
        min_count: fewest real rows behind any published share.
        bins: the most bins for numbers and dates, before merging.
        top: the most categories shown on their own.

    Returns:
        The comparison, or None when the real column has fewer than ``min_count`` values
        (nothing about it may be published).
    """
    if sdtype == "datetime":
        real_values, synthetic_values = as_datetimes(real), as_datetimes(synthetic)
    elif sdtype == "numerical":
        real_values = to_numbers(real).replace([np.inf, -np.inf], np.nan)
        synthetic_values = to_numbers(synthetic).replace([np.inf, -np.inf], np.nan)
    else:
        real_values, synthetic_values = real, synthetic
    real_present, synthetic_present = real_values.dropna(), synthetic_values.dropna()
    numeric = sdtype in ("numerical", "datetime")
    if sdtype == "numerical" and _is_code(real_present, top):
        numeric = False
        real_values, synthetic_values = _code_labels(real_values), _code_labels(synthetic_values)
    if numeric:
        if len(real_present) < min_count:
            return None
        if sdtype == "datetime":
            binned = date_bins(real_present, synthetic_present, bins=bins, min_count=min_count)
        else:
            binned = number_bins(
                real_present.to_numpy(float),
                synthetic_present.to_numpy(float),
                bins=bins,
                min_count=min_count,
            )
        real_missing = len(real_values) - len(real_present)
        if real_missing >= min_count:
            binned = _with_missing(
                binned, real_missing, len(synthetic_values) - len(synthetic_present)
            )
    else:
        if len(real_values) < min_count:
            return None
        binned = category_bins(
            as_labels(real_values, MISSING),
            as_labels(synthetic_values, MISSING),
            top=top,
            min_count=min_count,
            by_value=sdtype == "numerical",
        )
    return ColumnComparison(
        table=table,
        column=column,
        kind="numeric" if numeric else "categorical",
        labels=binned.labels,
        real=_shares(binned.real),
        synthetic=_shares(binned.synthetic),
    )


def compare_columns(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    metadata: Any,
    *,
    min_count: int = 5,
    bins: int = 20,
    top: int = 10,
) -> list[ColumnComparison]:
    """Compare every attribute column (keys left out) of every table; see :func:`compare_column`.

    Args:
        real: table name -> real rows.
        synthetic: table name -> synthetic rows (same tables and columns).
        metadata: SDV multi-table metadata (dict or ``Metadata``).
        min_count: fewest real rows behind any published share.
        bins: the most bins for numbers and dates, before merging.
        top: the most categories shown on their own.

    Returns:
        One comparison per column, tables in the order of ``real``; columns with fewer than
        ``min_count`` real values are left out.
    """
    metadata = metadata_dict(metadata)
    out = []
    for name, frame in real.items():
        for column, sdtype in compared_columns(metadata, name).items():
            comparison = compare_column(
                frame[column],
                synthetic[name][column],
                table=name,
                column=column,
                sdtype=sdtype,
                min_count=min_count,
                bins=bins,
                top=top,
            )
            if comparison is not None:
                out.append(comparison)
    return out


def comparison_figure(
    comparison: ColumnComparison | Mapping[str, Any],
    title: str | None = None,
    *,
    names: tuple[str, str] = ("Real", "Twin"),
    share_title: str = "Share of rows",
) -> go.Figure:
    """A grouped bar chart of real and synthetic shares for one column.

    Args:
        comparison: a :class:`ColumnComparison`, or its ``to_dict()`` form read from evidence.
        title: chart title; "table.column" when None.
        names: legend names of the real and synthetic bars (translate them for the dashboard).
        share_title: the y axis title.

    Returns:
        A plotly figure: trace 0 is real (#0072B2), trace 1 the synthetic data (#E69F00);
        fonts of at least 18 px.
    """
    import plotly.graph_objects as go

    data = comparison.to_dict() if isinstance(comparison, ColumnComparison) else comparison
    figure = go.Figure(
        [
            go.Bar(x=data["labels"], y=data["real"], name=names[0], marker_color=REAL_COLOUR),
            go.Bar(x=data["labels"], y=data["twin"], name=names[1], marker_color=SYNTHETIC_COLOUR),
        ]
    )
    figure.update_layout(
        title={"text": title or f"{data['table']}.{data['column']}", "font": {"size": 24}},
        font={"size": FONT_SIZE},
        barmode="group",
        bargap=0.15,
        template="plotly_white",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        yaxis={"title": {"text": share_title}, "tickformat": ".0%"},
        xaxis={"type": "category"},  # numeric-looking labels ("1", "2") stay labels
    )
    return figure
