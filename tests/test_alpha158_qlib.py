"""Alpha158 and Qlib's own pipeline on the real S&P 500 panel (needs pyqlib, a dev dependency).

All 158 features are compared with Qlib's expression engine; Qlib's LightGBM benchmark runs on the
same panel and segments as the trainer notebook's table, and its figures are printed (pytest -s
shows them)."""

import numpy as np, pandas as pd, pytest
from quantml.alpha158 import (
    ALPHA158,
    compute_alpha158,
    to_qlib,
    qlib_alpha158,
    qlib_gap_rows,
    qlib_tolerance,
    max_error,
    qlib_lightgbm,
)
from quantml.dataset import forward_return
from quantml.metrics import signal_quality
from quantml.store import ingest, read_prices

pytest.importorskip('qlib')

SEGMENTS = dict(
    train=('2013-02-08', '2015-12-31'),
    valid=('2016-01-01', '2016-12-31'),
    test=('2017-01-01', '2018-02-07'),
)


@pytest.fixture(scope='module')
def sp_qlib(data_dir, tmp_path_factory):
    "(the store's S&P prices, the same panel in Qlib's format)."
    root = tmp_path_factory.mktemp('sp_qlib')
    ingest(data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz', root / 'p.duckdb')
    prices = read_prices(root / 'p.duckdb')
    to_qlib(prices, root / 'qlib')
    return prices, root / 'qlib'


def test_sp500_matches_qlib(sp_qlib):
    prices, folder = sp_qlib
    ref = qlib_alpha158(folder)
    # Qlib stores float32: give quantml the same rounded prices, so what is compared is the
    # computation
    f32 = prices.assign(
        **{
            k: prices[k].astype('float32').astype(float)
            for k in ('open', 'high', 'low', 'close', 'volume')
        }
    )
    mine = compute_alpha158(f32)
    both = mine[['symbol', 'date']].merge(
        ref, on=['symbol', 'date'], how='left', validate='one_to_one'
    )
    # every quantml row has its Qlib row
    assert len(both) == len(mine) and both['KMID'].notna().all()
    # Qlib's extra rows: calendar days inside a symbol's history with no bar
    assert len(ref) - len(mine) == 72
    gaps = qlib_gap_rows(prices)
    assert gaps.sum() == 2198 and prices.symbol[gaps].nunique() == 18
    err = max_error(mine[~gaps], both[~gaps])
    worst = err.groupby(lambda k: k.rstrip('0123456789')).max()
    print(
        '\nlargest relative difference from Qlib per family:\n'
        + worst.sort_values(ascending=False).to_string()
    )
    assert np.isfinite(err).all(), err[~np.isfinite(err)]  # NaN positions agree
    over = [k for k in ALPHA158 if err[k] > qlib_tolerance(k)]
    assert not over, err[over]


def test_qlib_pipeline_on_the_same_panel(sp_qlib):
    """Qlib's LightGBM benchmark, both recipes, three seeds: its label is our bars'
    next-close-to-close return, and its figures."""
    prices, folder = sp_qlib
    fwd = forward_return(prices, 5)[['symbol', 'date', 'fwd_ret']]
    aapl = prices[prices.symbol == 'AAPL'].set_index('date').close.astype('float32').astype(float)
    qlib_label = (aapl.shift(-2) / aapl.shift(-1) - 1).rename('expected')
    lines = []
    for recipe in ('default', 'robust'):
        r = qlib_lightgbm(folder, SEGMENTS, recipe, seeds=(0, 1, 2), num_threads=2)
        assert r.date.min() == pd.Timestamp('2017-01-03') and r.date.max() == pd.Timestamp(
            '2018-02-07'
        )
        assert (r.trees >= 1).all() and r.seed.nunique() == 3
        a = (
            r[(r.symbol == 'AAPL') & (r.seed == 0)]
            .set_index('date')
            .join(qlib_label)
            .dropna(subset=['label'])
        )
        assert len(a) > 250
        # the export is aligned: no shifted or reversed dates
        np.testing.assert_allclose(a.label, a.expected, rtol=1e-5, atol=1e-7)
        per = []
        for seed, g in r.groupby('seed'):
            g = g.dropna(subset=['label'])
            q = signal_quality(g.pred.to_numpy(), g.label.to_numpy(), g.date.to_numpy(), 2)
            f = g.merge(fwd, on=['symbol', 'date']).dropna(subset=['fwd_ret'])
            q5 = signal_quality(f.pred.to_numpy(), f.fwd_ret.to_numpy(), f.date.to_numpy(), 5)
            per.append(
                dict(
                    rank_ic=q['rank_ic'],
                    rank_icir=q['rank_icir'],
                    rank_ic_t=q['rank_ic_t'],
                    rank_ic_5bar=q5['rank_ic'],
                    trees=g.trees.iloc[0],
                )
            )
        per = pd.DataFrame(per)
        # a leak of the label into the features would show here
        assert per.rank_ic.abs().max() < 0.05
        lines.append(
            f"Qlib LightGBM, {recipe} recipe, seeds 0-2: test rank IC vs Qlib's label "
            f"{per.rank_ic.mean():.4f} +/- {per.rank_ic.std():.4f} "
            f"(rank ICIR {per.rank_icir.mean():.3f}, t {per.rank_ic_t.mean():.2f}); vs the 5-bar "
            "open-to-open return "
            f"{per.rank_ic_5bar.mean():.4f} +/- {per.rank_ic_5bar.std():.4f}; trees kept "
            f"{per.trees.tolist()}"
        )
    print('\n' + '\n'.join(lines))


def test_qlib_rolling_windows_each_predict_their_own_segment(sp_qlib):
    """Qlib's rolling workflow: each window's model predicts only its test segment, and a window
    equals the same split run alone."""
    prices, folder = sp_qlib
    first = dict(
        train=('2013-02-08', '2014-12-31'),
        valid=('2015-01-01', '2015-12-31'),
        test=('2016-01-01', '2016-12-31'),
    )
    r = qlib_lightgbm(folder, [first, SEGMENTS], 'default', seeds=(0,), num_threads=2)
    for w, seg in enumerate((first, SEGMENTS)):
        d = r[r.window == w].date
        assert d.min() >= pd.Timestamp(seg['test'][0]) and d.max() <= pd.Timestamp(
            seg['test'][1]
        ), (w, d.min(), d.max())
        assert d.nunique() > 200
    alone = qlib_lightgbm(folder, SEGMENTS, 'default', seeds=(0,), num_threads=2)
    both = r[r.window == 1].merge(
        alone, on=['symbol', 'date'], suffixes=('', '_alone'), validate='one_to_one'
    )
    assert len(both) == len(alone) and (both.trees == both.trees_alone).all()
    # the same model as the split run alone
    np.testing.assert_allclose(both.pred, both.pred_alone, rtol=1e-6, atol=1e-9)
    with pytest.raises(Exception, match='default recipe'):
        qlib_lightgbm(folder, [first, SEGMENTS], 'robust', seeds=(0,))
