"""Training speed: quantml's end-to-end train_model on the S&P panel against a bare lgb.train on the
same matrix.

quantml: prices in memory -> 22 features -> labels -> purged chronological split -> 200 rounds of
LightGBM (no early stopping, no walk-forward CV, no logistic baseline: the same work as the bare
call, plus metrics).
bare: lgb.train with the same parameters, 200 rounds, on the training rows of the already-built
matrix.
Both in this process, alternating, min of --repeat runs. Target (issue 4): at most 1.5x.

    python benchmarks/train.py [--repeat 3] [--data ../shared/data]
"""

import sys
import argparse, time
from pathlib import Path
import lightgbm as lgb
from quantml.core import scratch_dir
from quantml.store import ingest, read_prices
from quantml.trainer import train_model, lgb_params
from quantml.dataset import build_dataset, split_segments, LabelSpec, SplitSpec


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    a = ap.parse_args()
    path = Path(a.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    if not path.exists():
        sys.exit(f"benchmark data not found: {path}")
    db = scratch_dir() / 'sp.duckdb'
    ingest(path, db)
    prices = read_prices(db)
    # a binary label, so the bare call fits the same objective
    label = LabelSpec('threshold')
    ds = build_dataset(prices, label)
    seg = split_segments(ds, SplitSpec())
    X, y, params = ds.X[seg.train], ds.y[seg.train], lgb_params(None, seed=0, num_threads=0)

    def bare():
        return lgb.train(
            {**params, 'metric': 'binary_logloss'},
            lgb.Dataset(X, y, feature_name=list(X.columns)),
            num_boost_round=200,
        )

    def ours():
        return train_model(
            prices,
            label,
            num_boost_round=200,
            early_stopping_rounds=None,
            cv_folds=0,
            baselines=False,
            seed=0,
            num_threads=0,
        )

    # warm-up: numba, LightGBM, caches
    bare()
    ours()
    tb, tq = [], []
    for _ in range(a.repeat):
        t = time.perf_counter()
        bare()
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        m = ours()
        tq.append(time.perf_counter() - t)
    assert m.num_iterations == 200
    b, q = min(tb), min(tq)
    print(
        f"S&P panel: {len(prices):,} price rows -> {len(ds):,} labelled rows, "
        f"{int(seg.train.sum()):,} training rows, 200 rounds; min of {a.repeat}"
    )
    print(f"bare lgb.train on the built matrix : {b:.2f} s")
    print(f"quantml train_model, end to end    : {q:.2f} s   ratio {q / b:.2f}x  (target <= 1.5x)")
    t = time.perf_counter()
    full = train_model(prices, cv_folds=4)
    tf = time.perf_counter() - t
    print(
        "for reference, the default train_model (early stopping, 4 walk-forward folds, logistic "
        f"baseline): {tf:.2f} s, {full.num_iterations} rounds"
    )
    return 0 if q / b <= 1.5 else 1


if __name__ == '__main__':
    sys.exit(main())
