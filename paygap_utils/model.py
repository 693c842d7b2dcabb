"""Predicting an employer's median pay gap with scikit-learn, and scoring it honestly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, get_args

from ._frames import require_columns
from .quartiles import quartile_columns

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

__all__ = [
    "CATEGORICAL",
    "NUMERIC",
    "TARGET",
    "GROUP",
    "KINDS",
    "ModelKind",
    "INPUT_COLUMNS",
    "features",
    "make_pipeline",
    "cv_scores",
]

#: Descriptive columns, one-hot encoded.
CATEGORICAL: tuple[str, ...] = ("sector", "employer_size", "region")
#: Numeric predictors: women's share of each pay quarter (percent), lowest paid first.
NUMERIC: tuple[str, ...] = tuple(quartile_columns("female"))
#: What is predicted.
TARGET = "diff_median_hourly_percent"
#: The employer each row belongs to, for grouped cross-validation.
GROUP = "employer"
#: A kind of model :func:`make_pipeline` builds.
ModelKind = Literal["baseline", "linear", "boosting", "nearest"]
#: Every kind, in the order the notebook compares them.
KINDS: tuple[ModelKind, ...] = get_args(ModelKind)

#: The columns of :func:`paygap_utils.load` that :func:`features` reads: pass them as
#: ``load(columns=model.INPUT_COLUMNS)`` to load nothing else.
INPUT_COLUMNS: tuple[str, ...] = (*CATEGORICAL, *NUMERIC, TARGET, "linked_employer_id", "year")


def features(df: pd.DataFrame) -> pd.DataFrame:
    """Build the modelling table: predictors, target and the employer each row belongs to.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows as :func:`paygap_utils.load` returns them, with the :data:`INPUT_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The rows with a median hourly gap, their index kept: :data:`CATEGORICAL` as text
        (missing as ``"Not known"``), :data:`NUMERIC` (``float32``), :data:`TARGET`,
        :data:`GROUP` (``linked_employer_id``, or a negative id of its own) and ``year``.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils import model
    >>> df = paygap_utils.load("2022-23", columns=model.INPUT_COLUMNS, progressbar=False)
    >>> table = model.features(df)
    >>> table.shape
    (10622, 10)
    >>> table.columns.tolist()[:4]
    ['sector', 'employer_size', 'region', 'female_lower_quartile']
    >>> int((table["sector"] == "Not known").sum())
    869
    """
    import numpy as np
    import pandas as pd

    require_columns(df, INPUT_COLUMNS, "features")
    rows = df[df[TARGET].notna()]
    table = pd.DataFrame(index=rows.index)
    for column in CATEGORICAL:
        table[column] = rows[column].astype(object).fillna("Not known")
    for column in NUMERIC:
        # Shares are given to one decimal: float32 holds them exactly enough and halves
        # the matrices the models build from them.
        table[column] = rows[column].astype("float32")
    table[TARGET] = rows[TARGET].astype("float64")
    own = pd.Series(-np.arange(1, len(rows) + 1), index=rows.index, dtype="int64")
    table[GROUP] = rows["linked_employer_id"].astype("float64").fillna(own).astype("int64")
    table["year"] = rows["year"].astype("int64")
    return table


def make_pipeline(
    kind: ModelKind = "linear",
    categorical: Sequence[str] = CATEGORICAL,
    numeric: Sequence[str] = NUMERIC,
) -> Pipeline:
    """Return a scikit-learn pipeline that predicts the median gap from :func:`features` columns.

    Parameters
    ----------
    kind : {"baseline", "linear", "boosting", "nearest"}
        ``"baseline"``: the training median for everyone (``DummyRegressor``), the score
        to beat. ``"linear"``: ridge regression on one-hot categories and standardised
        shares (missing ones imputed with the training median). ``"boosting"``: a small
        ``HistGradientBoostingRegressor`` (100 trees, fixed seed) that splits on the
        categories themselves and handles missing shares. ``"nearest"``: the gap of the
        one most similar training row (``KNeighborsRegressor``, on ``"linear"``'s
        inputs), a model that memorises, to show what a leaky cross-validation rewards.
    categorical, numeric : sequence of str
        Columns encoded as categories (one unseen in training is ignored, or missing for
        boosting) and numeric ones (``()`` leaves the quartile shares out).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``"prepare"`` (a ``ColumnTransformer``; other columns dropped) and ``"model"``.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils import model
    >>> table = model.features(paygap_utils.load("2022-23", progressbar=False))
    >>> pipe = model.make_pipeline("linear").fit(table, table[model.TARGET])
    >>> list(pipe.named_steps)
    ['prepare', 'model']
    >>> pipe.predict(table.head(3)).shape
    (3,)
    """
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.pipeline import make_pipeline as chain
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    if kind not in KINDS:
        raise ValueError(f"make_pipeline: kind must be one of {KINDS}, not {kind!r}.")
    categorical, numeric = list(categorical), list(numeric)
    if kind == "boosting":
        # The trees split on the categories' codes (one unseen in training becomes missing):
        # a wide one-hot matrix took several times the memory and the time.
        encode = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
        scale = "passthrough"
        estimator = HistGradientBoostingRegressor(  # 100 trees, learning rate 0.1
            early_stopping=False,
            random_state=0,
            categorical_features=list(range(len(categorical))) or None,
        )
    else:
        # Distances on a sparse matrix are slow (and took gigabytes here). float32, as the
        # shares are: one float64 column would make the whole matrix float64, twice the memory.
        encode = OneHotEncoder(
            handle_unknown="ignore", sparse_output=kind != "nearest", dtype=np.float32
        )
        scale = chain(SimpleImputer(strategy="median"), StandardScaler())
        estimator = {
            "baseline": DummyRegressor(strategy="median"),
            "linear": Ridge(alpha=1.0),
            "nearest": KNeighborsRegressor(n_neighbors=1),
        }[kind]
    steps = [("categories", encode, categorical)]
    if numeric:
        steps.append(("shares", scale, numeric))
    return Pipeline([("prepare", ColumnTransformer(steps, remainder="drop")), ("model", estimator)])


def cv_scores(
    pipeline: Pipeline,
    table: pd.DataFrame,
    *,
    grouped: bool = True,
    n_splits: int = 5,
    target: str = TARGET,
    group: str = GROUP,
    train_score: bool = True,
) -> pd.DataFrame:
    """Cross-validate a pipeline and return each fold's mean absolute error.

    Most employers appear in several years with much the same gap: split an employer's rows
    between training and test folds and the model is tested on employers it has seen, scoring
    better than it will on a new one. ``grouped=True`` keeps each employer's rows in one fold
    (``GroupKFold``); ``grouped=False`` (``KFold``) shows the difference. Both shuffle with
    seed 0, the same folds in every scikit-learn from 1.6 on.

    Parameters
    ----------
    pipeline, table
        E.g. from :func:`make_pipeline` (cloned for each fold) and :func:`features`.
    grouped, n_splits : bool, int
        Keep each employer's rows in one fold; the number of folds.
    target, group : str
        Columns holding what is predicted and the employer.
    train_score : bool
        Also score the training rows (``train_mae``); costly for ``"nearest"``.

    Returns
    -------
    pandas.DataFrame
        One row per fold: ``fold``, ``train_rows``, ``test_rows``, ``seen_percent`` (% of
        test rows whose employer is also in training), ``mae`` (points) and ``train_mae``.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils import model
    >>> table = model.features(paygap_utils.load(["2021-22", "2022-23"], progressbar=False))
    >>> scores = model.cv_scores(model.make_pipeline("baseline"), table)
    >>> scores["fold"].tolist(), float(scores["seen_percent"].max())
    ([1, 2, 3, 4, 5], 0.0)
    >>> round(float(scores["mae"].mean()), 1)
    11.9
    """
    import pandas as pd
    from sklearn.base import clone
    from sklearn.metrics import mean_absolute_error
    from sklearn.model_selection import GroupKFold, KFold
    from threadpoolctl import threadpool_limits

    y = table[target].to_numpy()
    groups = table[group].to_numpy()
    folds = (GroupKFold if grouped else KFold)(n_splits=n_splits, shuffle=True, random_state=0)
    splits = folds.split(table, y, groups if grouped else None)
    rows = []
    # One thread: on a shared machine (Binder, a hub, a busy laptop) OpenMP threads that
    # compete for a few cores made the boosted trees many times slower, and used more memory.
    with threadpool_limits(limits=1):
        for fold, (train, test) in enumerate(splits, start=1):
            fitted = clone(pipeline).fit(table.iloc[train], y[train])
            seen = pd.Series(groups[test]).isin(set(groups[train]))
            row = {
                "fold": fold,
                "train_rows": len(train),
                "test_rows": len(test),
                "seen_percent": round(100 * float(seen.mean()), 1),
                "mae": mean_absolute_error(y[test], fitted.predict(table.iloc[test])),
            }
            if train_score:
                row["train_mae"] = mean_absolute_error(y[train], fitted.predict(table.iloc[train]))
            rows.append(row)
            # Free this fold's model (for "nearest", a copy of its training rows) before
            # the next one is fitted, rather than holding two at the peak.
            del fitted
    return pd.DataFrame(rows)
