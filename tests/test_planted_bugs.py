"""Four realistic bugs that once passed every test (issue 26 planted each in the code and the suite
stayed green).

Each test below fails on its bug: skill measured on the validation rows early stopping watched; no
embargo between the walk-forward CV folds, or between the two validation halves; inverse-volatility
weights that read the day's future bars; dropout buys charged no cost."""

import numpy as np, pandas as pd, pytest
from quantml.synth import synth_market
from quantml.dataset import (
    build_dataset,
    LabelSpec,
    SplitSpec,
    split_segments,
    split_validation,
    training_folds,
)
from quantml.trainer import train_model, skill_of
from quantml.backtest import backtest

H = 5


@pytest.fixture(scope='module')
def market():
    return synth_market(n_symbols=30, n_days=700, seed=11, signal=0.6)


@pytest.fixture(scope='module')
def ds(market):
    return build_dataset(market, LabelSpec('excess', horizon=H))


def _bars_between(dates, a, b):
    "How many dates of the sorted array `dates` lie strictly after a and up to b."
    return int(np.searchsorted(dates, b, 'right') - np.searchsorted(dates, a, 'right'))


def test_skill_is_measured_on_the_half_early_stopping_did_not_watch(ds):
    m = train_model(ds, num_threads=2, cv_folds=0, baselines=False)
    seg = split_segments(ds, SplitSpec())
    stop, held = split_validation(ds, seg.valid)
    p = m.booster.predict(ds.X[held], num_iteration=m.num_iterations)
    again = skill_of(pd.DataFrame({'p': p, 'fwd_ret': ds.fwd_ret[held], 'date': ds.date[held]}), H)
    assert m.skill['dates'] == again['dates'] == len(np.unique(ds.date[held]))
    assert m.skill['rank_ic'] == pytest.approx(again['rank_ic'], abs=1e-12)
    assert (
        str(pd.Timestamp(ds.date[held].min()).date())
        == m.split['valid_skill'][0]
        > m.split['valid_stop'][1]
    )


def test_the_validation_halves_are_embargoed(ds):
    seg = split_segments(ds, SplitSpec())
    stop, held = split_validation(ds, seg.valid)
    dates = np.unique(ds.date)
    gap = _bars_between(dates, ds.label_end[stop].max(), ds.date[held].min())
    assert gap >= H, (
        f"the stopping half's last label ends {gap} dates before the skill half starts (embargo "
        f"{H})"
    )


def test_the_walk_forward_folds_are_embargoed(ds):
    seg = split_segments(ds, SplitSpec())
    dates = np.unique(ds.date)
    folds = training_folds(ds, seg.train, k=4)
    assert len(folds) == 4
    for tr, va in folds:
        gap = _bars_between(dates, ds.label_end[tr].max(), ds.date[va].min())
        assert gap >= H, (
            f"a fold's last training label ends {gap} dates before its validation starts (embargo "
            f"{H})"
        )


def test_inverse_volatility_weights_read_no_future_bar(market):
    preds = market[['symbol', 'date']].assign(p=np.random.default_rng(0).random(len(market)))
    days = np.sort(market.date.unique())
    cut = days[400]
    moved = market.copy()
    later = moved.date > cut
    moved.loc[later, ['open', 'high', 'low', 'close']] *= np.random.default_rng(1).uniform(
        0.5, 2.0, (later.sum(), 1)
    )
    a = backtest(preds, market, k=5, construction='topk', weighting='inverse_vol')
    b = backtest(preds, moved, k=5, construction='topk', weighting='inverse_vol')
    # the weights held up to the cut depend on bars up to it only
    upto = a.turnover.index <= cut
    pd.testing.assert_series_equal(a.turnover[upto], b.turnover[upto])
    assert not a.turnover[~upto].equals(b.turnover[~upto])


def test_dropout_pays_for_what_it_buys(market):
    preds = market[['symbol', 'date']].assign(p=np.random.default_rng(2).random(len(market)))
    k, bps = 6, 3.0
    res = backtest(
        preds, market, k=k, construction='dropout', n_drop=2, fee_bps=1.0, slippage_bps=2.0
    )
    paid = float((res.gross - res.returns).sum())
    # every entry and every exit of a name trades its weight 1/k, and each side pays the flat costs
    assert paid == pytest.approx(res.trades / k * bps / 1e4, rel=1e-9)
    # day one buys the whole book
    assert (res.gross - res.returns).iloc[0] == pytest.approx(bps / 1e4, rel=1e-9)
