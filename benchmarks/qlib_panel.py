"""Qlib's own pipeline on the 12-year US panel, as the external reference for `quantml evaluate` (issue 26, item 7).

Writes panel a in Qlib's on-disk format (`quantml.alpha158.to_qlib`), runs Qlib's LightGBM benchmark on Alpha158
(`qlib_lightgbm`: Qlib's own handler, processors, label and model; the parameters of its workflow_config_lightgbm_Alpha158)
on one chronological split, train 2005-2012, valid 2013-2014, test 2015-01-02 .. 2017-11-10, and scores its test
predictions beside quantml's walk-forward predictions of the same dates (from a `quantml evaluate` run's
predictions.parquet), on the same rows (quantml's eligible universe) and against the same label: the 5-bar return from
the next open, per-date rank IC with the HAC t (lag 5). Qlib's own label (the next close to the close after) is scored too.

Qlib's split is a single fit, not a rolling one: its models for 2015-2017 saw data up to 2012 (and stopped on 2013-14),
where quantml's saw everything before each year. That difference is in the table, not hidden.

    python -P benchmarks/qlib_panel.py --predictions REPORT/predictions.parquet [--data ../shared/data] [--seeds 0]
"""
import sys
import argparse, time, resource
from pathlib import Path
import numpy as np, pandas as pd
from quantml.core import scratch_dir
from quantml.store import ingest, read_prices
from quantml.alpha158 import to_qlib, qlib_lightgbm
from quantml.metrics import rank_ic_by_date, ic_summary

SEGMENTS = dict(train=('2005-02-25', '2012-12-31'), valid=('2013-01-01', '2014-12-31'), test=('2015-01-01', '2017-11-10'))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    ap.add_argument('--predictions', required=True, help="predictions.parquet of a `quantml evaluate` run on the same panel")
    ap.add_argument('--seeds', default='0', help="comma-separated LightGBM seeds for Qlib's model")
    a = ap.parse_args()
    path = Path(a.data) / 'us_stocks_2005_2017_a.csv.gz'
    if not path.exists(): sys.exit(f"benchmark data not found: {path}")
    t0 = time.perf_counter()
    tmp = scratch_dir()
    ingest(path, tmp / 'us.duckdb')
    prices = read_prices(tmp / 'us.duckdb')
    to_qlib(prices, tmp / 'qlib')
    t_export = time.perf_counter() - t0
    seeds = tuple(int(s) for s in a.seeds.split(','))
    q = qlib_lightgbm(tmp / 'qlib', SEGMENTS, 'default', seeds=seeds, num_threads=2)
    t_qlib = time.perf_counter() - t0 - t_export
    ours = pd.read_parquet(a.predictions, columns=['symbol', 'date', 'p', 'fwd_ret', 'mom12_1', 'composite'])
    ours = ours[(ours.date >= SEGMENTS['test'][0]) & (ours.date <= SEGMENTS['test'][1])]
    print(f"panel {path.name}: Qlib export {t_export:.0f} s, Qlib's Alpha158 handler and LightGBM ({len(seeds)} seed(s)) {t_qlib:.0f} s, "
          f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    print(f"Qlib's test rows {len(q) // len(seeds):,}; its trees: {sorted(q.groupby('seed').trees.first().tolist())}")
    rows = []
    for seed, g in q.groupby('seed'):
        both = ours.merge(g[['symbol', 'date', 'pred', 'label']], on=['symbol', 'date'], how='left')
        missing = both.pred.isna().mean()
        for name, col, target in [(f"Qlib's LightGBM on Alpha158 (seed {seed})", 'pred', 'fwd_ret'),
                                  (f"  the same, against Qlib's own label", 'pred', 'label')]:
            s = ic_summary(rank_ic_by_date(both[col].to_numpy(float), both[target].to_numpy(float), both.date.to_numpy()).rank_ic, 5)
            rows.append((name, s['rank_ic'], s['t'], s['dates']))
        print(f"  seed {seed}: {missing:.1%} of quantml's rows have no Qlib prediction (Qlib drops rows it cannot label)")
    for name, col in [("quantml's walk-forward model (factors+alpha158)", 'p'), ('12-1 month momentum', 'mom12_1'), ('composite of five factors', 'composite')]:
        s = ic_summary(rank_ic_by_date(ours[col].to_numpy(float), ours.fwd_ret.to_numpy(float), ours.date.to_numpy()).rank_ic, 5)
        rows.append((name, s['rank_ic'], s['t'], s['dates']))
    print(f"\nOn quantml's eligible rows, {SEGMENTS['test'][0]} .. {SEGMENTS['test'][1]}; label: 5-bar return from the next open unless said")
    print(f"{'':58s} {'rank IC':>8s} {'HAC t':>6s} {'dates':>6s}")
    for name, ric, t, n in rows: print(f"{name:58s} {ric:8.4f} {t:6.2f} {n:6d}")
    return 0

if __name__ == '__main__': sys.exit(main())
