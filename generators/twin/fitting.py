"""Planning and fitting a twin: how each table is modelled, and the models learned from it.

:class:`TwinFitting` is the fitting half of :class:`generators.twin.builder.TwinBuilder`.
What only one fit needs (the protected tables, training frames, each row's anchor) lives in a
:class:`FitData` made per call and passed to the helpers; only learned state stays on the
builder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from generators.relations import Relation
from generators.twin.anchors import COUNT as ANCHORED
from generators.twin.anchors import (
    EVENT_DAY,
    LABEL,
    NONE,
    SINCE,
    TargetAnchors,
    label_rows,
    learn_anchors,
)
from generators.twin.base import (
    COUNT,
    FLAT,
    TablePlan,
    TableTiming,
    TwinBase,
    folded_tables,
    mask_absent,
    stable_seed,
)
from generators.twin.codes import ForestSampler, code_lists, fit_code_models, fixed_by_parent
from generators.twin.constraints import (
    is_datetime,
    is_numeric_text,
    learn_distinct_per_parent,
    learn_once_per_parent,
    learn_rules,
    to_days,
)
from generators.twin.graph import find_unit_table, topological_order, unit_of_rows
from generators.twin.habits import kept_columns, read_by_forests
from generators.twin.lengths import learn_lengths_by_code
from generators.twin.occasions import SERIES
from generators.twin.profiles import PROFILE, ProfiledSynthesizer
from generators.twin.rare import protect_rare
from generators.twin.stratified import StratifiedSynthesizer, choose_stratum
from generators.twin.synthesizers import CTX, SDVTableSynthesizer, TableSynthesizer, is_code_like

# table, kind, rows, categorical, latent, the column to stratify on (None: chosen from the rows)
FitItem = tuple[str, str, pd.DataFrame, set[str], bool, str | None]


@dataclass
class FitData:
    """What one call of ``fit`` works on; it is dropped when the call returns."""

    raw: dict[str, pd.DataFrame]  # the real tables as given: child counts come from every row
    tables: dict[str, pd.DataFrame]  # after rare-category protection: what the models learn
    plans: dict[str, TablePlan]  # how each table is modelled, filled in as fitting goes
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # each table's training rows
    contexts: dict[str, pd.DataFrame | None] = field(default_factory=dict)  # full parent context
    # ("raw" for the counts or "fit" for the rows modelled, target table) -> each person's
    # first event days, and each row's anchor label and days since its event.
    events: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    labels: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def _fit_task(item: FitItem) -> tuple[str, Any, float]:
    with threadpool_limits(limits=1):  # same arithmetic in this process and in any worker
        return _fit(item)


def _fit(item: FitItem) -> tuple[str, Any, float]:
    name, kind, frame, categorical, latent, preferred = item
    start = time.perf_counter()

    def make(rows: pd.DataFrame) -> TableSynthesizer:
        stratum = preferred if preferred in rows.columns else choose_stratum(rows, categorical)
        if stratum is None:
            return SDVTableSynthesizer(kind, latent=latent)
        return StratifiedSynthesizer(stratum, kind, latent=latent)

    given = CTX + PROFILE  # each kind of person gets its own model of the rows below it
    model: TableSynthesizer = (
        ProfiledSynthesizer(given, make)
        if given in frame.columns and frame[given].nunique() > 1
        else make(frame)
    )
    model.fit(frame, categorical)
    return name, model, time.perf_counter() - start


class TwinFitting(TwinBase):
    """Fitting half of the twin builder: plans every table, then fits the models."""

    def _fit_lake(
        self, tables: dict[str, pd.DataFrame], relations: list[Relation], keys: dict[str, str]
    ) -> None:
        """Set every piece of learned state from the real ``tables``."""
        self.relations_ = list(relations)
        self.order_ = topological_order(list(tables), self.relations_)
        plans = self._plan(tables, keys)
        fit = FitData(raw=tables, tables=self._protect(tables, plans, keys), plans=plans)
        self._learn_anchors(fit, keys)
        folded = folded_tables(plans)
        # A series is modelled per code: how many refills and which pack depend on the drug.
        strata = {o.name: o.by[0] for o in getattr(self, "occasions_", []) if o.kind == "series"}
        fit_items: list[FitItem] = []
        for name in self.order_:
            if name in folded:
                continue
            frame = fit.frames[name] = self._training_frame(plans[name], fit)
            fit_frame = frame
            if len(fit_frame) > self.max_fit_rows:
                seed = stable_seed(self.seed, name)
                fit_frame = fit_frame.sample(self.max_fit_rows, random_state=seed)
            fit_items.append(
                (
                    name,
                    self.synthesizer,
                    fit_frame,
                    plans[name].categorical,
                    self.latent,
                    strata.get(name),
                )
            )
            self._say(f"prepared {name}: {len(frame):,} rows, {frame.shape[1]} columns")
        self.models_ = {}
        self.timings_ = {}
        for name, model, seconds in self._map(_fit_task, fit_items):
            self.models_[name] = model
            self.timings_[name] = TableTiming(name, seconds)
            self._say(f"fitted {name} in {seconds:.1f} s")
        for name in folded:
            self.timings_[name] = TableTiming(name, 0.0)
        self.plans_ = plans

    def _plan(self, tables: dict[str, pd.DataFrame], keys: dict[str, str]) -> dict[str, TablePlan]:
        """Each table's plan: keys to generate, columns to model, children folded in."""
        referenced = {(r.parent_table, r.parent_column) for r in self.relations_}
        plans: dict[str, TablePlan] = {}
        for name in self.order_:
            frame = tables[name]
            refs = [r for r in self.relations_ if r.child_table == name]
            parent = next((r for r in refs if r.parent_table != name), None)
            generated = [c for c in frame.columns if (name, c) in referenced or keys.get(name) == c]
            key_cols = set(generated) | {r.child_column for r in refs}
            modelled = [c for c in frame.columns if c not in key_cols]
            plans[name] = TablePlan(
                name=name,
                columns=list(frame.columns),
                dtypes=dict(frame.dtypes),
                generated=generated,
                parent=parent,
                other_refs=[r for r in refs if r is not parent],
                modelled=modelled,
                categorical={c for c in modelled if _is_categorical(frame[c])},
            )
        for name in self.order_:  # fold 1:0..1 leaf children into their parent
            plan = plans[name]
            rel = plan.parent
            is_parent = any(r.parent_table == name for r in self.relations_)
            if rel is None or is_parent or plan.other_refs or not plan.modelled:
                continue
            if tables[name][rel.child_column].value_counts().max() <= 1:
                plans[rel.parent_table].flattened.append(name)
        return plans

    def _protect(
        self, tables: dict[str, pd.DataFrame], plans: dict[str, TablePlan], keys: dict[str, str]
    ) -> dict[str, pd.DataFrame]:
        """Find the persons, and remove categories too few of them hold (with orphans)."""
        unit = self.unit_table or find_unit_table(self.order_, self.relations_, keys)
        unit_key = keys.get(unit) or next(
            r.parent_column for r in self.relations_ if r.parent_table == unit
        )
        self.unit_, self.unit_key_ = unit, unit_key
        units = unit_of_rows(tables, self.relations_, self.order_, unit, unit_key)
        protected, self.rare_ = protect_rare(
            tables,
            units,
            {n: p.categorical for n, p in plans.items()},
            self.min_persons,
            self.rare,
        )
        for item in self.rare_:
            self._say(
                f"rare categories in {item.table}.{item.column}: {item.categories} "
                f"({item.mode}, {item.rows:,} rows)"
            )
        for name in self.order_:  # children of dropped rows go too: no orphans in training
            rel = plans[name].parent
            if rel is not None:
                frame = protected[name]
                parent_keys = protected[rel.parent_table][rel.parent_column]
                protected[name] = frame[frame[rel.child_column].isin(parent_keys)]
        return protected

    def _learn_anchors(self, fit: FitData, keys: dict[str, str]) -> None:
        """Anchors per target table, and every real target row's anchor (into ``fit``)."""
        self.keys_ = {(t, c) for t, c in keys.items()} | {
            (r.parent_table, r.parent_column) for r in self.relations_
        }
        self.anchors_ = {}
        if self.anchor_window <= 0:
            return
        tables, plans = fit.tables, fit.plans
        folded = folded_tables(plans)
        dates = {
            name: next(
                (c for c in plan.modelled if pd.api.types.is_datetime64_any_dtype(tables[name][c])),
                None,
            )
            for name, plan in plans.items()
        }
        targets = [
            name
            for name, plan in plans.items()
            if plan.parent is not None
            and plan.parent.parent_table == self.unit_
            and name not in folded
            and dates[name] is not None
        ]
        found = learn_anchors(
            tables,
            self.relations_,
            self.order_,
            self.unit_,
            self.unit_key_,
            self.keys_,
            targets,
            window=self.anchor_window,
            min_persons=max(self.min_persons, 10),
        )
        for name, target in found.items():
            target.date = str(dates[name])
            # An anchor that starts no row (it ties with another on the same day, the
            # conditions of one assessment) is dropped: it has no rows to learn from.
            first = self._first_days(target, fit.raw)
            labels = self._label(target, fit.raw, first)
            target.anchors = [a for a in target.anchors if (labels[0] == a.label).any()]
            target.lift = {a.label: target.lift[a.label] for a in target.anchors}
            if not target.anchors:
                continue
            self.anchors_[name] = target
            described = ", ".join(f"{k} ({v}x)" for k, v in target.lift.items())
            self._say(f"anchors of {name}: {described}")
            # A dropped anchor held no row, so the labels above stand; its column of first
            # days is never read (the count models go by ``target.anchors``).
            fit.events[("raw", name)], fit.labels[("raw", name)] = first, labels
            first = self._first_days(target, tables)
            fit.events[("fit", name)] = first
            fit.labels[("fit", name)] = self._label(target, tables, first)

    def _label(
        self, target: TargetAnchors, tables: dict[str, pd.DataFrame], first: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each row of ``target``'s table: its anchor label and days since the event."""
        frame = tables[target.table]
        days = to_days(frame[target.date])
        return label_rows(target, frame[self._person_column(target.table)].to_numpy(), days, first)

    def _person_column(self, table: str) -> str:
        """The column of ``table`` that holds the person key (its relation to the unit)."""
        return next(
            r.child_column
            for r in self.relations_
            if r.child_table == table and r.parent_table == self.unit_
        )

    def _training_frame(self, plan: TablePlan, fit: FitData) -> pd.DataFrame:
        """The rows ``plan``'s model learns: own columns encoded by its rules, folded
        children's columns, child counts and the parent context it is conditioned on."""
        tables, plans = fit.tables, fit.plans
        real = tables[plan.name]
        own = real[plan.modelled].reset_index(drop=True)
        for child in plan.flattened:  # folded children's columns, and whether one exists
            rel = plans[child].parent
            assert rel is not None
            kids = tables[child].set_index(rel.child_column)[plans[child].modelled]
            matched = kids.reindex(real[rel.parent_column].to_numpy())
            present = matched.index.isin(kids.index)
            own[FLAT + child] = present.astype(int)
            plan.categorical.add(FLAT + child)
            # Rows without a child get values drawn from rows with one, so the columns'
            # missing values stay the child's own (not "no child") and keep its distribution.
            rng = np.random.default_rng(stable_seed(self.seed, child, "fill"))
            donors = rng.choice(np.flatnonzero(present), size=int((~present).sum()))
            matched.iloc[np.flatnonzero(~present)] = matched.iloc[donors].to_numpy()
            for col in plans[child].modelled:
                own[f"{FLAT}{child}__{col}"] = matched[col].to_numpy()
                if col in plans[child].categorical:
                    plan.categorical.add(f"{FLAT}{child}__{col}")
        for child, child_plan in plans.items():
            rel = child_plan.parent
            if rel is None or rel.parent_table != plan.name or child in plan.flattened:
                continue
            owner = fit.raw[child][rel.child_column]
            if child in self.anchors_:  # anchored rows are counted by their own models
                owner = owner[fit.labels[("raw", child)][0] == NONE]
            counts = owner.value_counts()
            column = f"{COUNT}{child}"
            own[column] = real[rel.parent_column].map(counts).fillna(0).astype(int).to_numpy()
            plan.counts[column] = child
            plan.categorical.add(column)  # counts keep their exact distribution, in order
        context = self._context(plan, fit)
        target = self.anchors_.get(plan.name)
        if target is not None and context is not None:
            labels, since = fit.labels[("fit", plan.name)]
            own[SINCE] = since
            context[LABEL] = labels
            plan.conditioning.append(LABEL)
            plan.categorical.add(LABEL)
            self._fit_counts(plan, target, fit)
        fit.contexts[plan.name] = context
        # Rules are learned where folded children exist (not on the donor values).
        masked = mask_absent(plan, own.copy())
        plan.rules = rules = learn_rules(masked, context, keep=plan.counts)
        if plan.parent is not None:
            rows = real[[c for c in plan.modelled if c in real.columns]].reset_index(drop=True)
            parent = real[plan.parent.child_column].reset_index(drop=True)
            rules.once = learn_once_per_parent(rows, parent, {*rules.formulas, *plan.counts})
            distinct = learn_distinct_per_parent(
                rows,
                parent,
                {*rules.derived, *rules.dependent, *rules.formulas, *plan.counts, *rules.once},
            )
            rules.distinct = {c: (shares, None) for c, shares in distinct.items()}
            if distinct and context is not None and self.codes:
                # A repeat is redrawn given the parent (a person's drugs follow their age
                # and conditions; at the drugs' overall shares, the mix of drugs a twin
                # person takes gave it away: detection AUC +0.005 to +0.007)
                with threadpool_limits(limits=1):
                    models = fit_code_models(
                        pd.concat([masked, context], axis=1),
                        list(distinct),
                        plan.categorical,
                        set(masked.columns),
                        stable_seed(self.seed, plan.name, "distinct"),
                        calibrate=False,
                    )
                rules.distinct = {c: (s, models.get(c)) for c, s in distinct.items()}
        if self.codes and self.synthesizer == "gaussian_copula":
            parent_plan = fit.plans[plan.parent.parent_table] if plan.parent else None
            self._fit_codes(plan, masked, context, parent_plan)  # a once column may lead its code
        for col in [c for c in rules.once if c in rules.derived]:
            del rules.once[col]  # a column its code fixes stays the code's
        plan.real_rows = len(real)
        for rel in plan.other_refs:
            plan.null_rate[rel.child_column] = float(real[rel.child_column].isna().mean())
        encoded = plan.rules.encode(own, context)
        if context is None:
            return encoded
        return pd.concat([context[plan.conditioning].reset_index(drop=True), encoded], axis=1)

    def _fit_codes(
        self,
        plan: TablePlan,
        own: pd.DataFrame,
        context: pd.DataFrame | None,
        parent: TablePlan | None = None,
    ) -> None:
        """A forest of P(value | row, parent) for each child count and code list of the table
        (into its rules), and the parent's lengths that follow a lead row's code."""
        if plan.name.startswith(SERIES):
            # A series is its code and what the code fixes (a drug's pack size): drawn
            # jointly by its copula; a code drawn apart from them broke that (detection
            # AUC 0.947 -> 0.960 at 5,000 persons, given away by packs per prescription).
            return
        rules = plan.rules
        follow = {*rules.derived, *rules.dependent, *rules.formulas}
        # Child counts first, then code lists; each forest sees the columns drawn before it.
        # Below the person table by default (diagnoses per contact: real persons with a
        # contact of several diagnoses 17%, the copula's twin 34%; detection AUC at 5,000
        # persons 0.925 -> 0.916). The person table's own counts only with forest_counts: a
        # person's contacts rise with age and fall again after 90 (copula: 8.1 at 70-80, real
        # 10.7, forest 9.4), but on the demo's lake the gate's DCR floor refused that twin.
        persons = context is None
        counts = (
            [c for c in plan.counts if own[c].nunique() >= 3]
            if self.forest_counts or not persons
            else []
        )
        # A root table's code lists stay with its copula (a municipality given a birth date
        # and sex is no better drawn by a forest, and the person table is what DCR measures).
        lists: list[str] = []
        fixed: list[str] = []  # small categories a parent's value fixes (codes.fixed_by_parent)
        kept: list[str] = []  # ... and those persons keep to one value of
        given_kept: list[str] = []  # codes a kept column follows: drawn given it
        if context is not None:
            lists = code_lists(own, plan.categorical, {*follow, *plan.counts})
            # A once-per-parent value that follows a code (a contact's primary diagnosis) is
            # set first and read by the code's forest: each contact's primary row then draws
            # a primary's code. Drawn the other way (code, then type, then one primary per
            # contact), 9% of the twin's hip fractures were secondary diagnoses (real: none),
            # where a contact drew two codes that are mostly primary.
            code_of = {**rules.derived, **rules.dependent}
            rules.leads = [c for c in rules.once if c in code_of and code_of[c][0] in lists]
            if parent is not None:  # a contact's length follows its primary diagnosis
                rules.lengths = learn_lengths_by_code(
                    own,
                    context,
                    plan.context,
                    {c: (rules.once[c], code_of[c][0]) for c in rules.leads},
                    {
                        c: parent.rules.after[c]
                        for c in parent.rules.durations
                        if c in parent.columns and parent.rules.after[c] in parent.columns
                    },
                )
            for col in rules.leads:
                rules.dependent.pop(col, None)
                rules.derived.pop(col, None)
            follow -= set(rules.leads)
            fixed = fixed_by_parent(own, context, plan.categorical, {*follow, *plan.counts, *lists})
            # A column persons keep to one value of is drawn given the person's kept value.
            # One that follows a code (a care's paragraph follows its kind) is drawn so too,
            # then the code given it, then the column again from the code.
            kept = kept_columns(plan.name, list(own.columns), list(context.columns), FLAT)
            kept = [c for c in kept if c not in {*fixed, *plan.counts}]
            code_of = {**rules.derived, **rules.dependent}
            given_kept = [code_of[c][0] for c in kept if c in code_of]
            lists = [c for c in lists if c not in given_kept]
            fixed = [c for c in fixed if c not in given_kept]
        if not counts + lists + fixed + kept + given_kept:
            return
        frame = own if context is None else pd.concat([own, context], axis=1)
        # A code list does not see what its parent's copula drew beside its date (a contact's
        # length, priority, operation): that copula never knew the code, and a forest reading
        # them put hip fractures on whoever the twin gave a long acute stay (median age 58,
        # real 78; the example's twin cohort at 8,000 persons: 22-26 of 53, now 40-44). It sees the
        # parent's first date, so ages stay among its inputs, and everything above the parent.
        # A person's own columns (sex) are who the row is about: always seen.
        below_person = plan.parent is not None and plan.parent.parent_table != self.unit_
        beside = [n for n, col in plan.context.items() if below_person and not col.startswith(CTX)]
        first = next((n for n in beside if is_datetime(frame[n])), None)
        hidden = {n for n in beside if n != first}
        # A kept value is the person's: drawn from the person (its kept value first) and
        # not from what the row's copula drew beside it: a care's hours and length told its
        # paragraph so well that a forest reading them never read the person (twin persons
        # with care under one paragraph 26-35%, real 74%).
        seed = stable_seed(self.seed, plan.name, "codes")
        rules.codes = {}
        with threadpool_limits(limits=1):  # in drawing order; each sees those before it
            for chosen, later, unseen, reads_kept in (
                (counts, {*lists, *fixed, *kept, *given_kept}, set(), False),
                (lists, {*fixed, *kept, *given_kept}, hidden, False),
                (fixed, {*kept, *given_kept}, set(), False),
                (kept, set(given_kept), set(own.columns), True),
                (given_kept, set(), set(), True),
            ):
                exclude = {*follow, *later, *unseen} - (set(kept) if reads_kept else set())
                if chosen:
                    rules.codes.update(
                        fit_code_models(frame, chosen, plan.categorical, exclude, seed)
                    )
        if rules.codes:
            self._say(f"code lists of {plan.name} drawn by forests: {', '.join(rules.codes)}")

    def _fit_counts(self, plan: TablePlan, target: TargetAnchors, fit: FitData) -> None:
        """Per anchor: a model of how many rows follow the event, given the person and its date.

        Learned on every real person with the event (zero rows included), from all real rows.
        """
        unit = self.unit_
        people = self._decoded_training(fit.plans[unit], fit).reset_index(drop=True)
        keys = fit.tables[unit][self.unit_key_].to_numpy()
        target.given = [c for c in plan.conditioning if c != LABEL]
        given = people[[plan.context[c] for c in target.given]]
        given.columns = target.given
        first = fit.events[("raw", plan.name)].reindex(keys)
        owner = fit.raw[plan.name][self._person_column(plan.name)]
        labels, since = fit.labels[("raw", plan.name)]
        for anchor in target.anchors:
            label = anchor.label
            has = np.isfinite(first[label].to_numpy(dtype=float))
            rows = owner[labels == label].value_counts().reindex(keys[has]).fillna(0)
            frame = given.loc[has].reset_index(drop=True)
            frame[EVENT_DAY] = first[label].to_numpy(dtype=float)[has]
            frame[ANCHORED] = rows.to_numpy(dtype=int)
            categorical = {c for c in target.given if c in plan.categorical} | {ANCHORED}
            seed = stable_seed(self.seed, plan.name, label)
            with threadpool_limits(limits=1):
                # How many rows follow: a forest given the person and the event's date, with
                # leaves of 10+ persons (1 in 50 of the persons with the event, if more).
                forest = (
                    fit_code_models(
                        frame,
                        [ANCHORED],
                        categorical,
                        set(),
                        seed,
                        min_leaf=max(10, len(frame) // 50),
                        calibrate=False,  # a person's count follows the person, not a share
                    )
                    if self.codes
                    else {}
                )
                if forest:
                    model: Any = ForestSampler(forest[ANCHORED])
                else:  # few persons with the event: a Gaussian copula, drawn given the person
                    model = SDVTableSynthesizer("gaussian_copula", latent=self.latent).fit(
                        frame, categorical
                    )
            target.count_models[label] = model
            target.since_median[label] = float(np.nanmedian(since[labels == label]))

    def _context(self, plan: TablePlan, fit: FitData) -> pd.DataFrame | None:
        """The parent's columns for each row (nearest ancestors first), as ``__ctx__`` columns."""
        rel = plan.parent
        if rel is None or rel.parent_table not in fit.frames:
            return None
        tables = fit.tables
        parent_plan = fit.plans[rel.parent_table]
        parent_frame = self._decoded_training(parent_plan, fit)
        candidates = [c for c in parent_frame.columns if not c.startswith((COUNT, CTX))] + [
            c for c in parent_frame.columns if c.startswith(CTX)
        ]
        chosen: dict[str, str] = {}  # context name -> parent column
        conditioning: list[str] = []  # the part of the context the child's model sees
        for col in candidates:
            name = col if col.startswith(CTX) else CTX + col
            if name in chosen:
                continue
            informative = _informative_context(parent_frame[col])
            if read_by_forests(col):  # a person's conditions, kept values: not for the copula
                chosen[name] = col
            elif self.synthesizer == "gaussian_copula" and informative:
                if len(conditioning) < self.max_context:
                    chosen[name] = col
                    conditioning.append(name)
            elif pd.api.types.is_datetime64_any_dtype(parent_frame[col]):
                chosen[name] = col  # dates still bound the child's dates (death), unmodelled
        position = pd.Series(
            np.arange(len(tables[rel.parent_table])),
            index=tables[rel.parent_table][rel.parent_column],
        )
        position = position[~position.index.duplicated()]
        rows = tables[plan.name][rel.child_column].map(position).to_numpy(dtype=int)
        context = parent_frame.iloc[rows][list(chosen.values())].reset_index(drop=True)
        context.columns = list(chosen)
        plan.context = chosen
        plan.conditioning = conditioning
        for name, col in chosen.items():
            if col in parent_plan.categorical or (
                col.startswith(CTX) and col in parent_plan.categorical
            ):
                plan.categorical.add(name)
        return context

    def _decoded_training(self, plan: TablePlan, fit: FitData) -> pd.DataFrame:
        """A parent's training frame with its own columns in their original form, and its
        whole context (what its model sees and the dates that only bound it)."""
        frame = fit.frames[plan.name]
        ctx = fit.contexts.get(plan.name)
        own = frame[[c for c in frame.columns if not c.startswith(CTX)]]
        decoded = mask_absent(plan, plan.rules.decode(own, ctx))
        return decoded if ctx is None else pd.concat([decoded, ctx], axis=1)


def _informative_context(series: pd.Series) -> bool:
    """Whether a parent column is worth conditioning a child on.

    Left out: mostly-missing columns (a folded child's columns where few parents have one)
    and identifier-like integers (an episode number). A copula conditions on a *point* of
    its latent axis; a column that is one value for most rows (the imputed gap) pins most
    children to one narrow slice and distorts what they are drawn from.
    """
    mostly_missing = series.isna().mean() > 0.5
    identifier = pd.api.types.is_integer_dtype(series) and series.nunique() > 0.5 * len(series)
    return not (mostly_missing or identifier)


def _is_categorical(series: pd.Series) -> bool:
    """Modelled as categories: text (not mostly numbers), and numeric codes or few levels."""
    if is_numeric_text(series):
        return False
    if is_code_like(series):
        return True
    return not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    )
