"The backtest engine's four checks on other seeds: oracle, no look-ahead on a random walk, costs, a random signal."
import numpy as np, pandas as pd, pytest
from quantml.backtest import backtest, equal_weight, open_to_open, stats, deflated_sharpe
from quantml.synth import synth_market

@pytest.fixture(scope='module', params=[5, 8])
def walk(request): return synth_market(60, 1000, seed=request.param, signal=0.0)

def _excess_t(res, prices):
    ex = res.returns - equal_weight(prices).returns.reindex(res.returns.index)
    return ex.mean() / ex.std(ddof=1) * np.sqrt(len(ex))

def test_oracle_earns_a_lot(walk):
    s = stats(backtest(open_to_open(walk).rename('p').reset_index(), walk, k=5, fee_bps=0, slippage_bps=0))
    assert s['sharpe'] > 10 and s['annual_return'] > 1 and s['hit_rate'] > 0.9

@pytest.mark.parametrize('n', [1, 5, 20])
def test_realised_returns_up_to_the_signal_bar_earn_nothing_on_a_random_walk(walk, n):
    past = walk.assign(p=walk.groupby('symbol').close.pct_change(n))[['symbol', 'date', 'p']]
    for short in (False, True):
        res = backtest(past, walk, k=10, short=short, fee_bps=0, slippage_bps=0)
        t = res.returns.mean() / res.returns.std(ddof=1) * np.sqrt(len(res.returns)) if short else _excess_t(res, walk)
        assert abs(t) < 3, (n, short, t)

def test_a_signal_using_the_next_open_would_be_caught(walk):
    "The same engine given a look-ahead signal (the next bar's open gap) does earn: the timing test above has teeth."
    nxt = walk.assign(p=walk.groupby('symbol').open.shift(-1) / walk.close - 1)[['symbol', 'date', 'p']]
    assert _excess_t(backtest(nxt, walk, k=10, fee_bps=0, slippage_bps=0), walk) > 5

def test_costs_order_results(walk):
    past = walk.assign(p=walk.groupby('symbol').close.pct_change(5))[['symbol', 'date', 'p']]
    tot = [stats(backtest(past, walk, k=10, fee_bps=f, slippage_bps=s))['total_return'] for f, s in ((0, 0), (1, 2), (10, 10), (50, 50))]
    assert tot == sorted(tot, reverse=True) and tot[0] > tot[-1]

def test_random_signal_loses_about_its_costs(walk):
    rnd = walk[['symbol', 'date']].assign(p=np.random.default_rng(1).random(len(walk)))
    res = backtest(rnd, walk, k=10, fee_bps=5, slippage_bps=5)
    ew = equal_weight(walk).returns.reindex(res.returns.index)
    se = (res.gross - ew).std() / np.sqrt(len(ew))
    cost = (res.turnover * 10 / 1e4).mean()
    assert abs((res.returns - ew).mean() + cost) < 3 * se and cost > 5 * se

def test_deflated_sharpe_falls_with_trials():
    r = pd.Series(np.random.default_rng(2).normal(0.0005, 0.01, 1000))
    d = [deflated_sharpe(r, n) for n in (1, 10, 100, 1000)]
    assert d == sorted(d, reverse=True) and 0 <= d[-1] <= d[0] <= 1
