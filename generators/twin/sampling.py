"""Sampling a fitted twin: parent before child, in fixed-size chunks seeded by chunk number.

:class:`TwinSampling` is the sampling half of :class:`generators.twin.builder.TwinBuilder`;
it reads only the learned state that fitting left (``plans_``, ``models_``, ``anchors_``, ...).
Chunks have a fixed size and a seed of their own, so a seed gives the same twin whatever
the number of workers.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from generators.twin.anchors import COUNT as ANCHORED
from generators.twin.anchors import EVENT_DAY, LABEL, NONE, SINCE, TargetAnchors
from generators.twin.base import (
    COUNT,
    FLAT,
    TablePlan,
    TableTiming,
    TwinBase,
    folded_tables,
    fresh_keys,
    mask_absent,
    stable_seed,
)
from generators.twin.constraints import (
    day_end,
    from_days,
    is_datetime,
    once_per_parent,
    to_days,
)
from generators.twin.lengths import LengthByCode, as_dates, follow_codes, keep_place
from generators.twin.synthesizers import CTX

SampleItem = tuple[Any, int, pd.DataFrame | None, int]  # model, rows, context, seed


def _sample_task(item: SampleItem) -> pd.DataFrame:
    # One BLAS thread: a sum split over threads rounds differently, and a category chosen
    # at a near-tie would then differ between a Ray worker (one thread) and this process.
    with threadpool_limits(limits=1):
        return _sample(item)


def _sample(item: SampleItem) -> pd.DataFrame:
    model, rows, context, seed = item
    if context is None:
        return model.sample(rows, seed)
    try:
        return model.sample_conditional(context, seed)
    except NotImplementedError:
        drawn = model.sample(len(context), seed)
        return drawn.drop(columns=[c for c in drawn.columns if c.startswith(CTX)])


class TwinSampling(TwinBase):
    """Sampling half of the twin builder: draws every table from the fitted models."""

    def _sample_lake(self, scale: float, seed: int) -> dict[str, pd.DataFrame]:
        """Every table of a twin, in fitting order; records each table's sampling time."""
        drawn: dict[str, pd.DataFrame] = {}  # decoded frames with count, folded, context columns
        out: dict[str, pd.DataFrame] = {}
        folded = folded_tables(self.plans_)
        for name in self.order_:
            if name in folded:
                continue
            start = time.perf_counter()
            plan = self.plans_[name]
            frame = self._draw(plan, drawn, out, scale, seed)
            drawn[name] = frame
            out[name] = self._finish(plan, frame, drawn, out, seed)
            for rule in plan.rules.lengths:  # a contact's length follows its primary code
                self._follow_codes(plan, rule, drawn, out)
            for child in plan.flattened:
                out[child] = self._unfold(self.plans_[child], plan, frame, out[name])
            elapsed = time.perf_counter() - start
            self.timings_[name] = TableTiming(name, self.timings_[name].fit_s, elapsed)
            self._say(f"sampled {name}: {len(out[name]):,} rows in {elapsed:.1f} s")
        return {name: out[name] for name in self.order_}

    def _draw(
        self,
        plan: TablePlan,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
        scale: float,
        seed: int,
    ) -> pd.DataFrame:
        model = self.models_[plan.name]
        target = self.anchors_.get(plan.name)
        parent_row: np.ndarray | None = None
        labels: np.ndarray | None = None
        events: pd.DataFrame | None = None
        if plan.parent is not None:
            parent_row = np.repeat(
                np.arange(len(drawn[plan.parent.parent_table])), self._counts(plan, drawn)
            )
            if target is not None:
                parent_row, labels, events = self._anchored_rows(
                    plan, target, drawn, out, parent_row, seed
                )
        context = None
        if parent_row is not None and (plan.context or labels is not None):
            parent = drawn[plan.parent.parent_table] if plan.parent is not None else None
            assert parent is not None
            context = parent.iloc[parent_row][list(plan.context.values())]
            context.columns = list(plan.context)
            context = context.reset_index(drop=True)
            if labels is not None:
                context[LABEL] = labels
        if context is not None and plan.conditioning:
            given = context[plan.conditioning]
            items = [
                (model, 0, given.iloc[i : i + self.chunk_rows], stable_seed(seed, plan.name, i))
                for i in range(0, len(given), self.chunk_rows)
            ]
        else:
            rows = len(parent_row) if parent_row is not None else round(plan.real_rows * scale)
            sizes = [min(self.chunk_rows, rows - i) for i in range(0, rows, self.chunk_rows)]
            items = [(model, n, None, stable_seed(seed, plan.name, i)) for i, n in enumerate(sizes)]
        parts = self._map(_sample_task, items) if items else [model.sample(0, seed)]
        sampled = pd.concat(parts, ignore_index=True)
        sampled = sampled[[c for c in sampled.columns if not c.startswith(CTX)]]
        decoded = mask_absent(
            plan,
            plan.rules.decode(sampled, context, stable_seed(seed, plan.name, "decode"), parent_row),
        )
        if target is not None and labels is not None and events is not None:
            assert parent_row is not None and context is not None
            decoded = self._redate(plan, target, decoded, context, labels, events, parent_row)
        once = {c: v for c, v in plan.rules.once.items() if c not in plan.rules.leads}
        if once and parent_row is not None:  # the leads were held once in decode
            rng = np.random.default_rng(stable_seed(seed, plan.name, "once"))
            decoded = once_per_parent(decoded, parent_row, once, plan.rules.dependent, rng)
        if context is not None:
            decoded = pd.concat([decoded, context], axis=1)
        if parent_row is not None:
            decoded["__parent_row__"] = parent_row
        return decoded

    def _anchored_rows(
        self,
        plan: TablePlan,
        target: TargetAnchors,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
        parent_row: np.ndarray,
        seed: int,
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The rows of an anchored table: unanchored ones (``parent_row``) plus, per twin
        person with an event, the rows its count model draws; sorted by person."""
        people = drawn[self.unit_]
        events = self._first_days(target, out).reset_index(drop=True)
        given = people[[plan.context[c] for c in target.given]].reset_index(drop=True)
        given.columns = target.given
        rows = [parent_row]
        labels = [np.full(len(parent_row), NONE, dtype=object)]
        for anchor in target.anchors:
            label = anchor.label
            day = events[label].to_numpy(dtype=float)
            has = np.flatnonzero(np.isfinite(day))
            if not len(has):
                continue
            frame = given.iloc[has].reset_index(drop=True)
            frame[EVENT_DAY] = day[has]
            drawn_counts = _sample_task(
                (target.count_models[label], 0, frame, stable_seed(seed, plan.name, label))
            )[ANCHORED]
            counts = pd.to_numeric(drawn_counts, errors="coerce").fillna(0).round()
            counts = counts.clip(lower=0).astype(int).to_numpy()
            rows.append(np.repeat(has, counts))
            labels.append(np.full(int(counts.sum()), label, dtype=object))
        parent = np.concatenate(rows)
        order = np.argsort(parent, kind="stable")
        return parent[order], np.concatenate(labels)[order], events

    def _redate(
        self,
        plan: TablePlan,
        target: TargetAnchors,
        decoded: pd.DataFrame,
        context: pd.DataFrame,
        labels: np.ndarray,
        events: pd.DataFrame,
        parent_row: np.ndarray,
    ) -> pd.DataFrame:
        """Move each anchored row in time so it starts its drawn days after its event.

        The row's dates all move together (durations and order stay); none passes the
        table's bound (death) or the real range.
        """
        rules = plan.rules
        anchored = labels != NONE
        if not anchored.any():
            return decoded.drop(columns=[SINCE], errors="ignore")
        event = np.full(len(labels), np.nan)
        for label in np.unique(labels[anchored]):
            rows = labels == label
            event[rows] = events[label].to_numpy(dtype=float)[parent_row[rows]]
        since = pd.to_numeric(decoded.pop(SINCE), errors="coerce").to_numpy(dtype=float)
        median = np.array([target.since_median.get(lab, 0.0) for lab in labels])
        since = np.clip(np.where(np.isnan(since), median, since), 0.0, target.window)
        old = to_days(decoded[target.date])
        new = event + since
        if target.date in rules.date_only:
            new = np.floor(new)
        shift = np.where(anchored, new - np.where(np.isnan(old), new, old), 0.0)
        upper_col = rules.bounds.get(target.date, (None, None))[1]
        upper = to_days(context[upper_col]) if upper_col is not None else None
        for col in [c for c in plan.modelled if c in decoded]:
            if not pd.api.types.is_datetime64_any_dtype(decoded[col]):
                continue
            days = to_days(decoded[col])
            days = np.where(anchored, new, days) if col == target.date else days + shift
            if upper is not None:
                last = day_end(upper, col in rules.date_only)
                days = np.where(np.isnan(upper), days, np.minimum(days, last))
            if col in rules.ranges:
                days = np.clip(days, *rules.ranges[col])
            decoded[col] = from_days(days, col in rules.date_only).to_numpy()
        return decoded

    def _follow_codes(
        self,
        plan: TablePlan,
        rule: LengthByCode,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
    ) -> None:
        """The parent's ``rule.column`` from its lead row's code (``generators.twin.lengths``);
        its other children drawn already keep their dates' place between its start and end
        (those drawn later read the new end from ``drawn``)."""
        assert plan.parent is not None
        name = plan.parent.parent_table
        parent_plan = self.plans_[name]
        if not is_datetime(out[name][rule.column]):
            return
        high = parent_plan.rules.ranges.get(rule.column, (None, None))[1]
        date_only = rule.column in parent_plan.rules.date_only
        upper = parent_plan.rules.bounds.get(rule.anchor, (None, None))[1]
        limit = None  # the start's upper bound (a death) bounds the end too
        if upper is not None and upper in drawn[name].columns:
            limit = day_end(to_days(drawn[name][upper]), date_only)
        new, start, end = follow_codes(rule, drawn[plan.name], drawn[name], date_only, high, limit)
        self._keep_inside(name, rule.column, start, end, new, drawn, out)
        out[name][rule.column] = as_dates(new, out[name][rule.column], date_only)
        drawn[name][rule.column] = as_dates(new, drawn[name][rule.column], date_only)

    def _keep_inside(
        self,
        name: str,
        column: str,
        start: np.ndarray,
        end: np.ndarray,
        new: np.ndarray,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
    ) -> None:
        """Dates that lie between a parent's start and its ``column`` (``end``, now ``new``)
        keep their place between them: its children's drawn already, its own (``within``)
        and those of children folded into it."""
        parent_plan, parent = self.plans_[name], drawn[name]
        for other, plan in self.plans_.items():
            if plan.parent is None or plan.parent.parent_table != name or other not in drawn:
                continue
            rows = drawn[other]["__parent_row__"].to_numpy()
            for col, (_, upper) in plan.rules.bounds.items():
                if (
                    upper is None
                    or plan.context.get(upper) != column
                    or not is_datetime(out[other][col])
                ):
                    continue
                days = keep_place(to_days(out[other][col]), start[rows], end[rows], new[rows])
                whole = col in plan.rules.date_only
                out[other][col] = as_dates(days, out[other][col], whole)
                drawn[other][col] = as_dates(days, drawn[other][col], whole)
        for col, upper in parent_plan.rules.within.items():
            if upper != column or col not in parent.columns:
                continue
            days = keep_place(to_days(parent[col]), start, end, new)
            whole = col in parent_plan.rules.date_only
            parent[col] = as_dates(days, parent[col], whole)
            if col in out[name].columns and is_datetime(out[name][col]):
                out[name][col] = as_dates(days, out[name][col], whole)
            for child in parent_plan.flattened:  # a folded child's date: in its own table too
                prefix = f"{FLAT}{child}__"
                inner = col[len(prefix) :]
                if col.startswith(prefix) and child in out and inner in out[child].columns:
                    present = parent[FLAT + child].round().astype(bool).to_numpy()
                    out[child][inner] = as_dates(days[present], out[child][inner], whole)

    def _counts(self, plan: TablePlan, drawn: dict[str, pd.DataFrame]) -> np.ndarray:
        assert plan.parent is not None
        parent = drawn[plan.parent.parent_table]
        column = f"{COUNT}{plan.name}"
        return parent[column].fillna(0).clip(lower=0).round().astype(int).to_numpy()

    def _finish(
        self,
        plan: TablePlan,
        frame: pd.DataFrame,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
        seed: int,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(stable_seed(seed, plan.name, "keys"))
        columns: dict[str, Any] = {}  # gathered, then made a frame at once (wide tables)
        for col in plan.generated:
            columns[col] = fresh_keys(plan.dtypes[col], len(frame), rng)
        if plan.parent is not None:
            parent_keys = out[plan.parent.parent_table][plan.parent.parent_column].to_numpy()
            columns[plan.parent.child_column] = parent_keys[frame["__parent_row__"].to_numpy()]
        for col in plan.modelled:
            columns[col] = frame[col].to_numpy()
        for rel in plan.other_refs:
            pool = columns if rel.parent_table == plan.name else out[rel.parent_table]
            columns[rel.child_column] = _references(
                np.asarray(pool[rel.parent_column]),
                len(frame),
                plan.null_rate[rel.child_column],
                rng,
            )
        result = pd.DataFrame(columns, index=frame.index)
        return _restore(result[plan.columns], plan.dtypes)

    def _unfold(
        self, plan: TablePlan, parent_plan: TablePlan, frame: pd.DataFrame, parent_out: pd.DataFrame
    ) -> pd.DataFrame:
        """Rows of a folded child: one per sampled parent row that has one."""
        assert plan.parent is not None
        present = frame[FLAT + plan.name].round().astype(bool).to_numpy()
        result = pd.DataFrame(
            {plan.parent.child_column: parent_out[plan.parent.parent_column].to_numpy()[present]}
        )
        for col in plan.modelled:
            result[col] = frame[f"{FLAT}{plan.name}__{col}"].to_numpy()[present]
        rng = np.random.default_rng(stable_seed(plan.name, len(result)))
        for col in plan.generated:
            result[col] = fresh_keys(plan.dtypes[col], len(result), rng)
        return _restore(result[plan.columns], plan.dtypes)


def _restore(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Give sampled columns the real table's dtypes where the values allow it."""
    for col, dtype in dtypes.items():
        if str(frame[col].dtype) == str(dtype):
            continue
        try:
            if pd.api.types.is_integer_dtype(dtype):
                values = pd.to_numeric(frame[col], errors="coerce")
                frame[col] = values.astype("Int64" if values.isna().any() else dtype)
            elif pd.api.types.is_bool_dtype(dtype) and frame[col].notna().all():
                frame[col] = frame[col].astype(bool)
            elif pd.api.types.is_datetime64_any_dtype(dtype):
                frame[col] = pd.to_datetime(frame[col]).astype(dtype)
            elif pd.api.types.is_float_dtype(dtype):
                frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(dtype)
        except (TypeError, ValueError):
            continue  # keep the sampled type rather than fail the whole twin
    return frame


def _references(keys: np.ndarray, n: int, null_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Any valid key of the referenced table, missing at the real rate."""
    if len(keys) == 0:
        return np.full(n, None, dtype=object)
    picked = keys[rng.integers(0, len(keys), size=n)].astype(object)
    picked[rng.random(n) < null_rate] = None
    return picked
