"""The backtest's statistics and the factor tear sheet against the libraries quants know:
empyrical-reloaded and alphalens-reloaded.

Both are dev dependencies, used here as references (as TA-Lib is for the indicators and Qlib for
Alpha158), not at run time."""

import warnings
import numpy as np, pandas as pd, pytest
from quantml.backtest import backtest, stats, to_alphalens, factor_tearsheet, CONSTRUCTIONS
from quantml.dataset import forward_return
from quantml.synth import synth_market

ep = pytest.importorskip(
    'empyrical', reason='empyrical-reloaded is a dev dependency: pip install -e ".[dev]"'
)
al_utils = pytest.importorskip(
    'alphalens.utils', reason='alphalens-reloaded is a dev dependency: pip install -e ".[dev]"'
)
import alphalens.performance as al_perf

HORIZONS = (1, 5, 10, 20)
COLS = [f'{h}D' for h in HORIZONS]  # alphalens' names for the horizons


@pytest.fixture(scope='module')
def market():
    prices = synth_market(60, 700, seed=11, signal=1.0)
    fr = forward_return(prices, 5)
    rng = np.random.default_rng(0)
    # a planted, noisy signal
    pred = fr[['symbol', 'date']].assign(
        p=fr.fwd_ret.fillna(0).to_numpy() + rng.normal(0, 0.04, len(fr))
    )
    return prices, pred[pred.date >= np.sort(prices.date.unique())[80]].reset_index(drop=True)


@pytest.fixture(scope='module')
def clean(market):
    prices, pred = market
    factor, px = to_alphalens(pred, prices)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = al_utils.get_clean_factor_and_forward_returns(
            factor, px, quantiles=5, periods=HORIZONS, max_loss=1.0
        )
    return out


@pytest.mark.parametrize('c', CONSTRUCTIONS)
def test_stats_match_empyrical(market, c):
    prices, pred = market
    r = backtest(pred, prices, construction=c, k=8, hold=5, n_drop=2, quantile=0.2).returns
    s = stats(backtest(pred, prices, construction=c, k=8, hold=5, n_drop=2, quantile=0.2))
    for ours, theirs in (
        (s['sharpe'], ep.sharpe_ratio(r)),
        (s['sortino'], ep.sortino_ratio(r)),
        (s['max_drawdown'], ep.max_drawdown(r)),
        (s['annual_return'], ep.annual_return(r)),
        (s['annual_vol'], ep.annual_volatility(r)),
    ):
        assert ours == pytest.approx(float(theirs), rel=1e-9), (c, ours, theirs)


def test_alphalens_forward_returns_are_ours(market, clean):
    """to_alphalens' timing: alphalens' h-period return on the factor's date is the next open to the
    open h bars later, as in the engine."""
    prices, _ = market
    for h in HORIZONS:
        ours = forward_return(prices, h).set_index(['date', 'symbol']).fwd_ret
        ours.index.names = ['date', 'asset']
        j = pd.concat([clean[f'{h}D'].rename('theirs'), ours], axis=1, join='inner').dropna()
        assert len(j) == len(clean)
        np.testing.assert_allclose(
            j.theirs.to_numpy(), j.fwd_ret.to_numpy(), rtol=1e-12, err_msg=f'{h} bars'
        )


def test_tearsheet_matches_alphalens(market, clean):
    """On alphalens' rows (it keeps a date only where every horizon's return exists): the same
    quantiles, quantile returns, rank IC and turnover."""
    _, pred = market
    prices = market[0]
    rows = clean.index.to_frame(index=False).rename(columns={'asset': 'symbol'})
    ts = factor_tearsheet(
        pred.merge(rows, on=['date', 'symbol']), prices, horizons=HORIZONS, n_boot=50
    )
    ic = al_perf.factor_information_coefficient(clean).mean()
    np.testing.assert_allclose(ts['rank_ic']['rank_ic'].to_numpy(), ic[COLS].to_numpy(), rtol=1e-9)
    by_date, _ = al_perf.mean_return_by_quantile(clean, by_date=True, demeaned=False)
    theirs = by_date.groupby(level='factor_quantile').mean()[COLS]
    np.testing.assert_allclose(ts['quantile_returns'].to_numpy(), theirs.to_numpy(), rtol=1e-9)
    for q in range(1, 6):
        theirs_t = al_perf.quantile_turnover(clean['factor_quantile'], q, period=1).mean()
        assert ts['quantile_turnover'][q] == pytest.approx(theirs_t, rel=1e-9), q
    ls = by_date.xs(5, level='factor_quantile')['1D'] - by_date.xs(1, level='factor_quantile')['1D']
    np.testing.assert_allclose(ts['long_short'].to_numpy(), ls.sort_index().to_numpy(), rtol=1e-9)


qs = pytest.importorskip(
    'quantstats', reason='quantstats is a dev dependency: pip install -e ".[dev]"'
)


@pytest.fixture(scope='module')
def daily(market):
    "The planted strategy's daily returns and the equal-weight universe's on the same dates."
    from quantml.backtest import equal_weight

    prices, pred = market
    r = backtest(pred, prices, k=8).returns.dropna()
    return r, equal_weight(prices).returns.reindex(r.index)


def test_risk_stats_match_quantstats(daily):
    """VaR, CVaR, skew, kurtosis and best/worst periods as quantstats computes them (historical VaR
    as empyrical's percentile)."""
    from quantml.backtest import risk_stats

    r, _ = daily
    s = risk_stats(r)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        pairs = [
            (s['var_normal'], qs.stats.value_at_risk(r, confidence=0.95)),
            (s['var_historical'], ep.value_at_risk(r, cutoff=0.05)),
            (
                s['cvar_historical'],
                qs.stats.conditional_value_at_risk(r, confidence=0.95, method='historical'),
            ),
            (s['cvar_normal'], qs.stats.conditional_value_at_risk(r, confidence=0.95)),
            (s['skew'], qs.stats.skew(r)),
            (s['excess_kurtosis'], qs.stats.kurtosis(r)),
            (s['best_day'], qs.stats.best(r)),
            (s['worst_day'], qs.stats.worst(r)),
            (s['best_month'], qs.stats.best(r, 'ME')),
            (s['worst_month'], qs.stats.worst(r, 'ME')),
            (s['best_year'], qs.stats.best(r, 'YE')),
            (s['worst_year'], qs.stats.worst(r, 'YE')),
        ]
    for i, (ours, theirs) in enumerate(pairs):
        assert ours == pytest.approx(float(theirs), rel=1e-9), (i, ours, theirs)


def test_drawdown_table_matches_quantstats(daily):
    """Start, trough and depth of the worst drawdowns as quantstats' drawdown_details; recovery is
    the day after its last day under water."""
    from quantml.backtest import drawdown_table

    r, _ = daily
    ours = drawdown_table(r, 5)
    theirs = (
        qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
        .sort_values('max drawdown', kind='stable')
        .head(5)
        .reset_index(drop=True)
    )
    assert len(ours) == 5
    assert list(ours.start.dt.strftime('%Y-%m-%d')) == list(theirs.start) and list(
        ours.trough.dt.strftime('%Y-%m-%d')
    ) == list(theirs.valley)
    np.testing.assert_allclose(ours.depth * 100, theirs['max drawdown'], rtol=1e-9)
    after_end = [r.index[r.index.get_loc(pd.Timestamp(e)) + 1] for e in theirs.end]
    assert list(ours.recovery) == after_end


def test_calendar_and_rolling_risk_match_quantstats(daily):
    from quantml.backtest import calendar_returns, rolling_risk

    r, u = daily
    cal = calendar_returns({'model': r})
    np.testing.assert_allclose(
        cal['model'], qs.utils.aggregate_returns(r, 'year').reindex(cal.index), rtol=1e-9
    )
    rr = rolling_risk(r, u, window=126)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        np.testing.assert_allclose(
            rr.volatility, qs.stats.rolling_volatility(r, rolling_period=126), rtol=1e-9
        )
        np.testing.assert_allclose(
            rr.beta.iloc[125:],
            qs.stats.rolling_greeks(r, u, periods=126).beta.iloc[125:],
            rtol=1e-9,
        )
