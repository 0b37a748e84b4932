"""The backtest engine's four checks on other seeds, for every portfolio construction: oracle, no
look-ahead on a random walk, costs, a random signal."""

import numpy as np, pandas as pd, pytest
from quantml.backtest import (
    backtest,
    equal_weight,
    open_to_open,
    stats,
    deflated_sharpe,
    deflated_sharpe_ratio,
    CONSTRUCTIONS,
)
from quantml.dataset import forward_return
from quantml.synth import synth_market


@pytest.fixture(scope='module', params=[5, 8])
def walk(request):
    return synth_market(60, 1000, seed=request.param, signal=0.0)


KW = {c: dict(construction=c, k=10, horizon=5, n_drop=2, quantile=0.2) for c in CONSTRUCTIONS}


# long-short: judged on its own, not against the universe
def _neutral(res):
    return res.exposure.mean() > 1.5


def _block_se(x, block=20):
    """Standard error of the mean of a daily series whose days are not independent (a held book):
    from means of 20-day blocks."""
    x = np.asarray(x, float)
    m = len(x) // block * block
    b = x[:m].reshape(-1, block).mean(axis=1)
    return b.std(ddof=1) / np.sqrt(len(b))


def _excess_t(res, prices):
    ex = res.returns - (
        0 if _neutral(res) else equal_weight(prices).returns.reindex(res.returns.index)
    )
    return ex.mean() / ex.std(ddof=1) * np.sqrt(len(ex))


@pytest.mark.parametrize('c', CONSTRUCTIONS)
def test_oracle_earns_a_lot(walk, c):
    h = 5 if c == 'tranches' else 1
    oracle = forward_return(walk, h).rename(columns={'fwd_ret': 'p'})[['symbol', 'date', 'p']]
    s = stats(backtest(oracle, walk, fee_bps=0, slippage_bps=0, **KW[c]))
    assert s['sharpe'] > 5 and s['annual_return'] > 0.5, (c, s['sharpe'])


@pytest.mark.parametrize('c', CONSTRUCTIONS)
@pytest.mark.parametrize('n', [1, 5, 20])
def test_realised_returns_up_to_the_signal_bar_earn_nothing_on_a_random_walk(walk, n, c):
    past = walk.assign(p=walk.groupby('symbol').close.pct_change(n))[['symbol', 'date', 'p']]
    t = _excess_t(backtest(past, walk, fee_bps=0, slippage_bps=0, **KW[c]), walk)
    assert abs(t) < 3, (n, c, t)


def test_topk_short_earns_nothing_either(walk):
    past = walk.assign(p=walk.groupby('symbol').close.pct_change(5))[['symbol', 'date', 'p']]
    res = backtest(past, walk, k=10, short=True, fee_bps=0, slippage_bps=0)
    assert abs(res.returns.mean() / res.returns.std(ddof=1) * np.sqrt(len(res.returns))) < 3


@pytest.mark.parametrize('c', CONSTRUCTIONS)
def test_a_signal_using_the_next_open_would_be_caught(walk, c):
    """The same engine given a look-ahead signal (the next bar's open gap) does earn: the timing
    test above has teeth."""
    nxt = walk.assign(p=walk.groupby('symbol').open.shift(-1) / walk.close - 1)[
        ['symbol', 'date', 'p']
    ]
    assert _excess_t(backtest(nxt, walk, fee_bps=0, slippage_bps=0, **KW[c]), walk) > 5


@pytest.mark.parametrize('c', CONSTRUCTIONS)
def test_costs_are_turnover_times_the_rate(walk, c):
    past = walk.assign(p=walk.groupby('symbol').close.pct_change(5))[['symbol', 'date', 'p']]
    runs = [
        backtest(past, walk, fee_bps=f, slippage_bps=s, **KW[c])
        for f, s in ((0, 0), (1, 2), (10, 10), (50, 50))
    ]
    tot = [stats(r)['total_return'] for r in runs]
    assert tot == sorted(tot, reverse=True) and tot[0] > tot[-1]
    np.testing.assert_allclose(
        runs[0].returns - runs[2].returns, runs[2].turnover * 20 / 1e4, atol=1e-15
    )


@pytest.mark.parametrize('c', CONSTRUCTIONS)
def test_random_signal_loses_about_its_costs(walk, c):
    rnd = walk[['symbol', 'date']].assign(p=np.random.default_rng(1).random(len(walk)))
    res = backtest(rnd, walk, fee_bps=5, slippage_bps=5, **KW[c])
    base = 0 if _neutral(res) else equal_weight(walk).returns.reindex(res.returns.index)
    # a dropout or tranche book is held for days: its days are not independent
    se = _block_se(res.gross - base)
    cost = (res.turnover * 10 / 1e4).mean()
    assert abs((res.returns - base).mean() + cost) < 3 * se, c


def test_dropout_trades_at_most_n_drop_a_day(walk):
    rnd = walk[['symbol', 'date']].assign(p=np.random.default_rng(2).random(len(walk)))
    res = backtest(rnd, walk, construction='dropout', k=10, n_drop=3, fee_bps=0, slippage_bps=0)
    assert res.turnover.iloc[1:].max() <= 2 * 3 / 10 + 1e-12 and res.turnover.iloc[
        0
    ] == pytest.approx(1.0)


def test_deflated_sharpe_against_the_formula_by_hand():
    """Bailey and Lopez de Prado's formula, worked with the standard library's normal distribution
    (values in the backtest notebook)."""
    assert deflated_sharpe_ratio(0.1, 1000, -3, 20, 50) == pytest.approx(0.7769, abs=1e-4)
    # trials matter
    assert deflated_sharpe_ratio(0.1, 1000, -3, 20, 1) == pytest.approx(0.9968, abs=1e-4)
    # skew and kurtosis matter
    assert deflated_sharpe_ratio(0.1, 1000, 0, 3, 50) == pytest.approx(0.8112, abs=1e-4)


def test_deflated_sharpe_falls_with_trials():
    r = pd.Series(np.random.default_rng(2).normal(0.0005, 0.01, 1000))
    d = [deflated_sharpe(r, n) for n in (1, 10, 100, 1000)]
    assert all(a > b for a, b in zip(d, d[1:])) and 0 <= d[-1] < d[0] <= 1


def test_to_alphalens_prices_give_the_tradeable_return(walk):
    """alphalens' 1-period forward return from to_alphalens' prices is open_to_open, date for date;
    one bar off and it is not."""
    from quantml.backtest import to_alphalens

    preds = open_to_open(walk).rename('p').reset_index()
    factor, fill = to_alphalens(preds, walk)
    al = (fill.shift(-1) / fill - 1).stack()
    al.index.names = ['date', 'asset']
    ours = open_to_open(walk).dropna()
    ours.index.names = ['asset', 'date']
    both = pd.concat(
        [al.rename('al'), ours.reorder_levels(['date', 'asset'])], axis=1, join='inner'
    )
    assert len(both) > 0.99 * len(ours)
    np.testing.assert_allclose(both.al, both.fwd_open_ret, rtol=0, atol=1e-12)
    late = (fill.shift(-2) / fill.shift(-1) - 1).stack()
    late.index.names = ['date', 'asset']
    assert not np.allclose(late.reindex(both.index), both.fwd_open_ret, equal_nan=True)
    assert factor.index.names == ['date', 'asset'] and factor.index.is_monotonic_increasing


def test_relative_stats_recover_a_known_beta_and_alpha():
    from quantml.backtest import relative_stats, BacktestResult

    rng = np.random.default_rng(11)
    idx = pd.bdate_range('2019-01-01', periods=2000)
    u = pd.Series(rng.normal(0.0003, 0.01, 2000), index=idx)
    r = 1.3 * u + rng.normal(-0.0001, 0.003, 2000)
    s = relative_stats(
        BacktestResult(r, r, r * 0, r * 0 + 1, 0), BacktestResult(u, u, u * 0, u * 0 + 1, 0)
    )
    assert s['beta'] == pytest.approx(1.3, abs=0.03) and s['alpha'] == pytest.approx(
        -0.0001 * 252, abs=0.02
    )
    assert s['sharpe_ci'][0] < s['sharpe'] < s['sharpe_ci'][1] and s['days'] == 2000


def test_factor_tearsheet_orders_quantiles_and_matches_the_ic():
    """Quantile 5 holds the highest predictions; the 1-bar rank IC is signal_quality's; a reversed
    signal reverses both."""
    from quantml.backtest import factor_tearsheet
    from quantml.metrics import signal_quality

    m = synth_market(50, 600, seed=9, signal=1.0)
    lc = np.log(m.close)
    pred = m[['symbol', 'date']].assign(
        p=-(lc - lc.groupby(m.symbol).transform(lambda s: s.rolling(20).mean()))
    )
    ts, flip = (
        factor_tearsheet(pred, m, horizons=(1, 5)),
        factor_tearsheet(pred.assign(p=-pred.p), m, horizons=(1, 5)),
    )
    assert (
        ts['quantile_returns'][1].is_monotonic_increasing
        and flip['quantile_returns'][1].is_monotonic_decreasing
    )
    f = forward_return(m, 5).merge(pred, on=['symbol', 'date']).dropna()
    assert ts['rank_ic'].loc[5, 'rank_ic'] == pytest.approx(
        signal_quality(f.p.to_numpy(), f.fwd_ret.to_numpy(), f.date.to_numpy(), 5)['rank_ic'],
        abs=1e-12,
    )
    assert flip['rank_ic'].loc[1, 'rank_ic'] == pytest.approx(
        -ts['rank_ic'].loc[1, 'rank_ic'], abs=1e-12
    )
    assert 0 < ts['quantile_turnover'].min() <= ts['quantile_turnover'].max() <= 1
