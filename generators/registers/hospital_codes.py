"""Codes used in the simulated National Patient Register (LPR3).

Diagnoses are ICD-10 as SKS writes them, with the Danish ``D`` prefix (``DI50``
for WHO's I50). Procedures are SKS procedure codes (the NOMESCO NCSP surgical
codes with a ``K`` prefix, imaging with ``U``). Contact types are SKS ``ALCA``
codes and priorities SKS ``ATA`` codes.
"""

from __future__ import annotations

import numpy as np

# kont_type: SKS contact type.
PHYSICAL = "ALCA00"  # fysisk fremmøde: the patient attends in person
VIRTUAL = "ALCA03"  # virtuel kontakt: video or telephone consultation
OUTREACH = "ALCA10"  # udekontakt: staff visit the patient, e.g. at home
# prioritet: SKS priority.
ACUTE = "ATA1"  # akut
PLANNED = "ATA3"  # planlagt (elective)

LPR3_FROM_DAY = int(np.datetime64("2019-03-01", "D").astype(np.int64))  # LPR3 in use nationally

# Condition -> (ICD-10 codes, probabilities). Four-character codes are SKS subcodes.
CONDITION_CODES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    # Type 2 diabetes: without complications, with kidney, eye, multiple complications.
    "diabetes": (("DE119", "DE112", "DE113", "DE117"), (0.72, 0.12, 0.1, 0.06)),
    # Heart failure: congestive, left ventricular, unspecified.
    "heart_failure": (("DI500", "DI501", "DI509"), (0.5, 0.15, 0.35)),
    # COPD: unspecified, with acute exacerbation, with acute lower respiratory infection.
    "copd": (("DJ449", "DJ441", "DJ440"), (0.6, 0.3, 0.1)),
    # Cerebral infarction: unspecified, embolic, thrombotic.
    "stroke": (("DI639", "DI634", "DI633"), (0.6, 0.25, 0.15)),
    # Dementia: in Alzheimer's (late onset, unspecified), vascular, unspecified.
    "dementia": (("DF001", "DF009", "DF019", "DF03"), (0.3, 0.25, 0.2, 0.25)),
    # Fracture of femur: neck, pertrochanteric, subtrochanteric.
    "hip_fracture": (("DS720", "DS721", "DS722"), (0.5, 0.42, 0.08)),
}
REASONS = ("background", "diabetes", "heart_failure", "copd", "stroke", "dementia", "hip_fracture")

# Other reasons for a contact: (code, weight by age group child / 18-44 / 45-64 / 65+,
# share acute, sex restriction). Weights roughly follow the most frequent action diagnoses
# in Sundhedsdatastyrelsen's eSundhed statistics on hospital contacts.
BACKGROUND: tuple[tuple[str, tuple[float, float, float, float], float, str | None], ...] = (
    ("DZ038", (8, 10, 10, 8), 0.2, None),  # observation for suspected disease
    ("DR074", (1, 4, 5, 5), 0.5, None),  # chest pain, unspecified
    ("DR109", (5, 5, 4, 3), 0.4, None),  # abdominal pain, unspecified
    ("DS525", (4, 2, 3, 3), 0.3, None),  # fracture of lower end of radius
    ("DS934", (4, 4, 2, 1), 0.1, None),  # sprain of ankle
    ("DS060", (5, 2, 1, 2), 0.4, None),  # concussion
    ("DJ189", (2, 1, 1, 5), 0.8, None),  # pneumonia, unspecified
    ("DN390", (1, 2, 2, 5), 0.5, None),  # urinary tract infection
    ("DI109", (0, 1, 4, 5), 0.0, None),  # essential hypertension
    ("DI489", (0, 0.5, 2, 5), 0.4, None),  # atrial fibrillation
    ("DM169", (0, 0.1, 1, 3), 0.0, None),  # osteoarthritis of hip
    ("DM179", (0, 0.5, 2, 4), 0.0, None),  # osteoarthritis of knee
    ("DM545", (0.5, 5, 5, 3), 0.1, None),  # low back pain
    ("DH269", (0, 0.1, 1, 4), 0.0, None),  # cataract
    ("DK359", (3, 2, 1, 0.3), 0.9, None),  # acute appendicitis
    ("DK802", (0.1, 2, 2, 2), 0.5, None),  # gallstones
    ("DO800", (0, 10, 0, 0), 0.8, "F"),  # spontaneous delivery
    ("DJ069", (6, 2, 1, 1), 0.3, None),  # acute upper respiratory infection
    ("DF329", (0.5, 3, 2, 1), 0.0, None),  # depressive episode
    ("DJ459", (5, 2, 1, 1), 0.3, None),  # asthma
    ("DC509", (0, 0.5, 2, 2), 0.0, "F"),  # breast cancer
    ("DC619", (0, 0, 0.5, 2.5), 0.0, "M"),  # prostate cancer
    ("DR559", (0.5, 1, 1, 2), 0.6, None),  # syncope and collapse
)
AGE_GROUP_EDGES = (0, 18, 45, 65)

# Procedures (SKS): hip-fracture surgery by fracture type, and two others the register often
# carries with the same conditions.
HIP_SURGERY: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    # Femoral neck: cemented and uncemented hemiarthroplasty, cemented total hip, screws.
    "DS720": (("KNFB02", "KNFB01", "KNFB40", "KNFJ51"), (0.35, 0.2, 0.1, 0.35)),
    # Trochanteric fractures: sliding hip screw or intramedullary nail.
    "DS721": (("KNFJ52", "KNFJ51"), (0.6, 0.4)),
    "DS722": (("KNFJ52", "KNFJ51"), (0.7, 0.3)),
}
HIP_REPLACEMENT_ELECTIVE = (("KNFB20", "KNFB40"), (0.5, 0.5))  # total hip for osteoarthritis
CT_BRAIN = "UXCA00"  # CT of the brain, done on arrival with a suspected stroke


def pick(
    rng: np.random.Generator, options: tuple[tuple[str, ...], tuple[float, ...]], size: int
) -> np.ndarray:
    """Draw ``size`` codes from ``(codes, probabilities)`` as an object array."""
    codes, probs = options
    p = np.asarray(probs, dtype=float)
    return np.asarray(codes, dtype=object)[rng.choice(len(codes), size=size, p=p / p.sum())]


def background_weights() -> np.ndarray:
    """Normalised cumulative weights, shape (age group x sex [male, female], code)."""
    w = np.array([b[1] for b in BACKGROUND], dtype=float).T  # (group, code)
    sex = np.array([b[3] for b in BACKGROUND], dtype=object)
    men = w * (sex != "F")
    women = w * (sex != "M")
    table = np.stack([men, women], axis=1)  # (group, sex, code)
    cum = np.cumsum(table, axis=2)
    return cum / cum[:, :, -1:]
