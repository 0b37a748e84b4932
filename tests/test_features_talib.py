"""compute_indicators against TA-Lib itself, symbol by symbol, on the real S&P 500 and ETF panels
and on synthetic panels."""

import numpy as np, pandas as pd, pytest
from quantml.features import compute_indicators, talib_indicators, max_talib_error, INDICATORS
from quantml.store import ingest, read_prices
from quantml.synth import synth_market

pytest.importorskip('talib')


def _worst(prices):
    """Largest relative error per indicator over every symbol of a panel (inf where NaN positions
    differ)."""
    mine = compute_indicators(prices)
    worst = pd.Series(0.0, index=INDICATORS)
    for sym, bars in prices.groupby('symbol', sort=True):
        bars = bars.reset_index(drop=True)
        got = mine[mine.symbol == sym].reset_index(drop=True)
        worst = np.maximum(worst, max_talib_error(got, talib_indicators(bars)))
    return worst


@pytest.mark.parametrize(
    'name',
    [
        'sp500_5yr_kaggle_2013_2018.csv.gz',
        'us_etfs_stooq_1999_2026.csv.gz',
        'arch_indexes_1999_2018.csv.gz',
    ],
)
def test_real_panels_match_talib(data_dir, tmp_path, name):
    db = tmp_path / 'p.duckdb'
    # the store's valid rows, as the pipeline sees them
    ingest(data_dir / name, db)
    worst = _worst(read_prices(db))
    assert (worst <= 1e-9).all(), worst[worst > 1e-9]


@pytest.mark.parametrize('seed,signal', [(0, 0.0), (1, 1.0)])
def test_synthetic_panels_match_talib(seed, signal):
    worst = _worst(synth_market(30, 400, seed=seed, signal=signal))
    assert (worst <= 1e-9).all(), worst[worst > 1e-9]


def test_edge_cases_match_talib():
    "Short histories (every length around the warm-ups), flat stretches and zero volume."
    days = pd.bdate_range('2020-01-01', periods=80)
    rng = np.random.default_rng(5)
    frames = []
    for n in list(range(1, 60)) + [80]:
        close = 20 + np.cumsum(rng.normal(0, 0.3, n))
        # a flat stretch longer than every window
        if n == 80:
            close[30:60] = close[30]
        vol = rng.integers(0, 3, n) * 1000.0  # many zero-volume bars
        frames.append(
            pd.DataFrame(
                {
                    'symbol': f'S{n:02d}',
                    'date': days[:n],
                    'open': close,
                    'high': close + 0.1,
                    'low': close - 0.1,
                    'close': close,
                    'volume': vol,
                }
            )
        )
    worst = _worst(pd.concat(frames, ignore_index=True))
    assert (worst <= 1e-9).all(), worst[worst > 1e-9]
