"""Single-table synthesizers behind one small interface.

SDV, RDT, CTGAN and copulas are licensed BUSL-1.1: offering them as a
"Synthetic Data Service" needs a commercial licence. Keeping them behind
:class:`TableSynthesizer` means a differently licensed model can replace them
without touching the twin builder.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

SYNTHESIZERS = ("gaussian_copula", "ctgan", "tvae")


class TableSynthesizer(Protocol):
    """Learns one table's joint distribution and samples new rows from it."""

    def fit(self, frame: pd.DataFrame) -> TableSynthesizer:
        """Learn from ``frame`` (no key columns); return self."""
        ...

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        """``num_rows`` new rows with the fitted columns, deterministic for ``seed``."""
        ...


def column_sdtype(series: pd.Series) -> dict[str, Any]:
    """SDV column metadata from a pandas dtype (no auto-detection of ids or PII)."""
    if pd.api.types.is_bool_dtype(series):
        return {"sdtype": "boolean"}
    if pd.api.types.is_datetime64_any_dtype(series):
        return {"sdtype": "datetime"}
    if pd.api.types.is_numeric_dtype(series):
        return {"sdtype": "numerical"}
    return {"sdtype": "categorical"}


class SDVTableSynthesizer:
    """An SDV single-table synthesizer (GaussianCopula, CTGAN or TVAE).

    Args:
        kind: one of :data:`SYNTHESIZERS`.
        epochs: training epochs for CTGAN and TVAE (ignored by GaussianCopula).
    """

    _TABLE = "table"

    def __init__(self, kind: str = "gaussian_copula", epochs: int = 100) -> None:
        self.kind = kind
        self.epochs = epochs

    def _make(self, metadata: Any) -> Any:
        from sdv.single_table import (
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        if self.kind == "gaussian_copula":
            return GaussianCopulaSynthesizer(metadata, default_distribution="truncnorm")
        if self.kind == "ctgan":
            return CTGANSynthesizer(metadata, epochs=self.epochs)
        if self.kind == "tvae":
            return TVAESynthesizer(metadata, epochs=self.epochs)
        raise ValueError(
            f"unknown synthesizer {self.kind!r}; choose one of {', '.join(SYNTHESIZERS)}"
        )

    def fit(self, frame: pd.DataFrame) -> SDVTableSynthesizer:
        from sdv.metadata import Metadata

        self.columns_ = list(frame.columns)
        metadata = Metadata.load_from_dict(
            {
                "tables": {
                    self._TABLE: {"columns": {c: column_sdtype(frame[c]) for c in frame.columns}}
                }
            }
        )
        self.model_ = self._make(metadata)
        if self.columns_:
            self.model_.fit({self._TABLE: frame})
        return self

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        if not self.columns_ or num_rows == 0:
            return pd.DataFrame(index=range(num_rows), columns=self.columns_)
        self.model_._set_random_state(seed)
        sampled = self.model_.sample(num_rows)[self._TABLE]
        return sampled.reset_index(drop=True)[self.columns_]
