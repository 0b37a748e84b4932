"""Scoring speed on the S&P panel with a 200-tree model.

score_symbol: p50 and p99 latency from the on-disk database, warm (service open, model loaded), over
random symbols: in such a loop the service scores from the store's ScoredUniverse after the first
symbol; the single path (one symbol's own read, features, flags and prediction, what a one-off call
does) is measured beside it.
score_universe: all 505 symbols as of the last bar, beside the bare work it cannot avoid, in the
same run:
the same DuckDB read (the last 250 bars of every symbol, to pandas) plus one Booster.predict on one
row per symbol.
Targets (issue 28): score_symbol p50 under 5 ms; score_universe at most 1.5x the bare read plus
predict.

    python benchmarks/scoring.py [--calls 300] [--data ../shared/data]
"""

import argparse, sys, time
from pathlib import Path
import numpy as np
from quantml.core import scratch_dir
from quantml.registry import ModelRegistry
from quantml.serving import SignalService, HISTORY_BARS
from quantml.store import ingest, read_prices, read_windows
from quantml.trainer import train_model


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--calls', type=int, default=300)
    ap.add_argument('--repeat', type=int, default=7)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    a = ap.parse_args()
    path = Path(a.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    if not path.exists():
        sys.exit(f"benchmark data not found: {path}")
    tmp = scratch_dir()
    ingest(path, tmp / 'sp.duckdb')
    prices = read_prices(tmp / 'sp.duckdb')
    reg = ModelRegistry(tmp / 'models')
    reg.save(
        train_model(
            prices, num_boost_round=200, early_stopping_rounds=None, cv_folds=0, baselines=False
        )
    )
    symbols = sorted(set(prices.symbol) - {'APTV'})
    rng = np.random.default_rng(0)
    with SignalService(tmp / 'sp.duckdb', reg) as svc:
        booster = svc.model.booster
        assert svc.source == 'ml' and booster.num_trees() == 200
        for s in symbols[:20]:
            svc.score_symbol(s)  # warm
        lat = []
        alone = []
        for s in rng.choice(symbols, a.calls):
            t = time.perf_counter()
            svc.score_symbol(str(s))
            lat.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            svc._score_alone(str(s), 60, None)
            alone.append((time.perf_counter() - t) * 1000)
        uni, bare = [], []
        from quantml.features import compute_features, SEED22

        X1 = (
            compute_features(read_windows(svc.con, None, HISTORY_BARS, None))
            .groupby('symbol')
            .tail(1)[SEED22]
        )
        for _ in range(a.repeat):
            t = time.perf_counter()
            df = svc.score_universe()
            uni.append(time.perf_counter() - t)
            t = time.perf_counter()
            w = read_windows(svc.con, None, HISTORY_BARS, None)
            booster.predict(X1)
            bare.append(time.perf_counter() - t)
    p50, p99 = np.percentile(lat, 50), np.percentile(lat, 99)
    u, b = min(uni), min(bare)
    print(
        f"S&P panel, {len(prices):,} rows; model: 200 trees; {a.calls} warm score_symbol calls on "
        "random symbols"
    )
    print(f"score_symbol latency     : p50 {p50:.2f} ms, p99 {p99:.2f} ms  (target p50 < 5 ms)")
    print(
        f"  the single path alone  : p50 {np.percentile(alone, 50):.2f} ms, p99 "
        f"{np.percentile(alone, 99):.2f} ms"
    )
    print(
        f"score_universe ({len(df)} symbols): {u * 1000:.1f} ms; bare read ({len(w):,} rows) + "
        f"predict: {b * 1000:.1f} ms; ratio {u / b:.2f}x  (target <= 1.5x); min of {a.repeat}"
    )
    return 0 if p50 < 5 and u / b <= 1.5 else 1


if __name__ == '__main__':
    sys.exit(main())
