"""Modelling: the features table, the pipelines and cross-validation grouped by employer."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import paygap_utils
from paygap_utils import model
from paygap_utils.model import CATEGORICAL, GROUP, KINDS, NUMERIC, TARGET


def _clean_rows(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Rows shaped like paygap_utils.load()'s, for n // 3 employers over three years."""
    rng = np.random.default_rng(seed)
    top = rng.uniform(10, 90, n)
    rows = pd.DataFrame(
        {
            "sector": pd.Categorical(rng.choice(["C", "G", "P", None], n)),
            "employer_size": pd.Categorical(rng.choice(["250 to 499", "500 to 999"], n)),
            "region": pd.Categorical(rng.choice(["London", "Wales"], n)),
            "female_lower_quartile": rng.uniform(20, 80, n),
            "female_lower_middle_quartile": rng.uniform(20, 80, n),
            "female_upper_middle_quartile": rng.uniform(20, 80, n),
            "female_top_quartile": top,
            TARGET: 40 - 0.5 * top + rng.normal(0, 1, n),
            "linked_employer_id": pd.array(np.repeat(np.arange(n // 3), 3), dtype="Int64"),
            "year": np.tile([2020, 2021, 2022], n // 3),
        }
    )
    return rows


# features


def test_features_has_predictors_target_group_and_year():
    table = model.features(_clean_rows())
    assert table.columns.tolist() == [*CATEGORICAL, *NUMERIC, TARGET, GROUP, "year"]
    assert all(table[c].dtype == object for c in CATEGORICAL)
    assert all(table[c].dtype == "float32" for c in NUMERIC)
    assert table[GROUP].dtype == "int64"


def test_features_drops_rows_without_target_and_keeps_the_index():
    rows = _clean_rows()
    rows.loc[[3, 7], TARGET] = np.nan
    table = model.features(rows)
    assert len(table) == len(rows) - 2
    assert 3 not in table.index and 7 not in table.index
    assert table.loc[4, TARGET] == rows.loc[4, TARGET]


def test_missing_categories_are_named_and_shares_stay_missing():
    rows = _clean_rows()
    rows["region"] = pd.Categorical([None] + ["London"] * (len(rows) - 1))
    rows.loc[1, "female_top_quartile"] = np.nan
    table = model.features(rows)
    assert table.loc[0, "region"] == "Not known"
    assert np.isnan(table.loc[1, "female_top_quartile"])


def test_rows_without_an_employer_id_are_each_their_own_group():
    rows = _clean_rows(9)
    rows["linked_employer_id"] = pd.array([5, 5, None, None, 6, 6, None, 7, 7], dtype="Int64")
    groups = model.features(rows)[GROUP]
    assert groups.tolist()[:2] == [5, 5]
    unlinked = groups[[2, 3, 6]]
    assert (unlinked < 0).all() and unlinked.is_unique


# make_pipeline


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_fits_and_predicts(kind):
    table = model.features(_clean_rows())
    pipe = model.make_pipeline(kind).fit(table, table[TARGET])
    predictions = pipe.predict(table)
    assert predictions.shape == (len(table),)
    assert np.isfinite(predictions).all()


def test_baseline_predicts_the_training_median():
    table = model.features(_clean_rows())
    pipe = model.make_pipeline("baseline").fit(table, table[TARGET])
    assert pipe.predict(table.head(2)).tolist() == [table[TARGET].median()] * 2


def test_linear_learns_a_clear_relation():
    table = model.features(_clean_rows(300))
    pipe = model.make_pipeline("linear").fit(table, table[TARGET])
    assert np.abs(pipe.predict(table) - table[TARGET]).mean() < 2


def test_nearest_reproduces_its_training_rows():
    table = model.features(_clean_rows())
    pipe = model.make_pipeline("nearest").fit(table, table[TARGET])
    assert np.allclose(pipe.predict(table), table[TARGET])


def test_shares_can_be_left_out_and_unknown_categories_are_ignored():
    table = model.features(_clean_rows())
    pipe = model.make_pipeline("linear", numeric=()).fit(table, table[TARGET])
    assert (
        pipe.named_steps["prepare"].transform(table).shape[1]
        == table[list(CATEGORICAL)].nunique().sum()
    )
    new = table.head(1).assign(sector="Z", region="Narnia")
    assert np.isfinite(pipe.predict(new)).all()


@pytest.mark.parametrize("numeric", [NUMERIC, ()])
def test_boosting_codes_the_categories_instead_of_one_hot_columns(numeric):
    table = model.features(_clean_rows())
    pipe = model.make_pipeline("boosting", numeric=numeric).fit(table, table[TARGET])
    prepared = pipe.named_steps["prepare"].transform(table)
    assert prepared.shape[1] == len(CATEGORICAL) + len(numeric)
    assert pipe.named_steps["model"].is_categorical_.tolist() == (
        [True] * len(CATEGORICAL) + [False] * len(numeric)
    )
    new = table.head(1).assign(sector="Z", region="Narnia")
    assert np.isnan(pipe.named_steps["prepare"].transform(new)[0, [0, 2]]).all()
    assert np.isfinite(pipe.predict(new)).all()


def test_the_one_hot_matrices_are_float32():
    table = model.features(_clean_rows())
    for kind in ("linear", "nearest"):
        pipe = model.make_pipeline(kind).fit(table, table[TARGET])
        assert pipe.named_steps["prepare"].transform(table).dtype == np.float32


def test_missing_shares_are_handled_by_every_kind():
    table = model.features(_clean_rows())
    table.loc[table.index[:5], list(NUMERIC)] = np.nan
    for kind in KINDS:
        assert np.isfinite(model.make_pipeline(kind).fit(table, table[TARGET]).predict(table)).all()


def test_an_unknown_kind_lists_the_kinds():
    with pytest.raises(ValueError, match="baseline.*linear.*boosting"):
        model.make_pipeline("forest")


# cv_scores


def test_grouped_folds_never_share_an_employer():
    table = model.features(_clean_rows(90))
    scores = model.cv_scores(model.make_pipeline("linear"), table)
    assert scores.columns.tolist() == [
        "fold",
        "train_rows",
        "test_rows",
        "seen_percent",
        "mae",
        "train_mae",
    ]
    assert scores["fold"].tolist() == [1, 2, 3, 4, 5]
    assert (scores["seen_percent"] == 0).all()
    assert (scores["train_rows"] + scores["test_rows"] == len(table)).all()
    assert scores["test_rows"].sum() == len(table)


def test_ungrouped_folds_share_employers_and_flatter_a_memoriser():
    table = model.features(_clean_rows(300))
    # A copy of each employer's row in every year: a memoriser finds its twin.
    table[TARGET] = table.groupby(GROUP)[TARGET].transform("first")
    same = [*CATEGORICAL, *NUMERIC]
    table[same] = table.groupby(GROUP)[same].transform("first")
    nearest = model.make_pipeline("nearest")
    leaky = model.cv_scores(nearest, table, grouped=False, train_score=False)
    honest = model.cv_scores(nearest, table, grouped=True, train_score=False)
    assert leaky["seen_percent"].min() > 50
    assert "train_mae" not in leaky
    assert leaky["mae"].mean() < 0.5 * honest["mae"].mean()


def test_cv_scores_are_reproducible():
    table = model.features(_clean_rows(90))
    for grouped in (True, False):
        first = model.cv_scores(model.make_pipeline("boosting"), table, grouped=grouped)
        again = model.cv_scores(model.make_pipeline("boosting"), table, grouped=grouped)
        pd.testing.assert_frame_equal(first, again)


def test_importing_the_module_does_not_import_scikit_learn():
    code = "import paygap_utils.model, sys; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# With the real data


@pytest.mark.data
def test_real_features_cover_every_row_with_a_gap():
    df = paygap_utils.load([2020, 2021, 2022], progressbar=False)
    table = model.features(df)
    assert len(table) == df[TARGET].notna().sum()
    assert (table[GROUP] > 0).all()  # every row of these years has a published id
    assert set(table["sector"]) >= {"C", "P", "Not known"} and "X" not in set(table["sector"])
