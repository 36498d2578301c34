"""The disclosure policy: which thresholds decide what may leave a tenant lake.

Defaults follow the Danish Health Data Authority (no published count of persons below 5)
and ACRO's defaults for aggregate tables (AI-SDC/ACRO: threshold 10, p-ratio 0.10,
nk rule n=2 k=0.9). ``min_count`` comes from ``Settings.min_cell_count`` so one setting
governs the catalogue, the subgroup report and this checker alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from testbench.config import Settings


@dataclass(frozen=True)
class DisclosurePolicy:
    """Thresholds of the disclosure checker (see module doc for their sources)."""

    # Smallest count of persons any published count, cell or subgroup may show; smaller
    # counts are published as the string "<min_count" (e.g. "<5").
    min_count: int = 5
    # ACRO threshold rule: a table cell with fewer contributors is flagged for review
    # (count tables) or suppressed (magnitude tables, where few contributors expose values).
    acro_threshold: int = 10
    # ACRO p% rule: a magnitude cell is unsafe when (total - largest - second largest)
    # / largest < p_ratio, i.e. the second contributor could estimate the largest too well.
    p_ratio: float = 0.10
    # ACRO nk rule: number of largest contributors whose share is tested.
    nk_n: int = 2
    # ACRO nk rule: a magnitude cell is unsafe when its nk_n largest contributors hold
    # more than this share of the cell total.
    nk_k: float = 0.9
    # A table or list with at least this share of the cohort's rows is row-level, not an
    # aggregate, and may not leave the lake.
    max_row_share: float = 0.5
    # Also suppress the smallest published level of a subgroup variable that has a
    # suppressed level, so the suppressed count cannot be derived from the cohort total.
    secondary_suppression: bool = True

    def __post_init__(self) -> None:
        if self.min_count < 1:
            raise ValueError(f"min_count must be at least 1; got {self.min_count}.")
        if self.acro_threshold < 1:
            raise ValueError(f"acro_threshold must be at least 1; got {self.acro_threshold}.")
        if not 0.0 < self.p_ratio < 1.0:
            raise ValueError(f"p_ratio must lie in (0, 1); got {self.p_ratio}.")
        if self.nk_n < 1:
            raise ValueError(f"nk_n must be at least 1; got {self.nk_n}.")
        if not 0.0 < self.nk_k < 1.0:
            raise ValueError(f"nk_k must lie in (0, 1); got {self.nk_k}.")
        if not 0.0 < self.max_row_share <= 1.0:
            raise ValueError(f"max_row_share must lie in (0, 1]; got {self.max_row_share}.")

    @property
    def marker(self) -> str:
        """What a suppressed count shows instead of its value, e.g. ``"<5"``."""
        return f"<{self.min_count}"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DisclosurePolicy:
        """The policy in force: ``min_count`` from ``Settings.min_cell_count``.

        Args:
            settings: The test-bench settings (``TESTBENCH_MIN_CELL_COUNT`` sets the minimum).
            **overrides: Other policy fields to change from their defaults.

        Returns:
            The policy.

        Raises:
            ValueError: If a threshold is out of range.
        """
        return cls(min_count=settings.min_cell_count, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """The policy as a JSON-ready dict, for the evidence's ``disclosure.policy``."""
        return asdict(self)
