"""The SME's model for home care after a hip fracture: a scikit-learn pipeline.

Columns are chosen by type, not by name, so the pipeline fits whatever features the
spec lists: numbers (age, counts, 0/1 flags) are standardised, text columns (sex,
region) one-hot encoded. A plain logistic regression suits a cohort of a few hundred
persons and gives calibrated probabilities a discharge planner can read.
"""

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_model() -> Pipeline:
    """Return the unfitted pipeline; the test-bench fits it on each training set."""
    encode = ColumnTransformer(
        [
            ("numbers", StandardScaler(), make_column_selector(dtype_include="number")),
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=1000))])
