"""Qlib's own pipeline on the 12-year US panel, as the external reference for `quantml evaluate`
(issue 26, item 7).

Writes panel a in Qlib's on-disk format (`quantml.alpha158.to_qlib`) and runs Qlib's LightGBM
benchmark on Alpha158 (`qlib_lightgbm`: Qlib's own handler, processors, label and model; the
parameters of its workflow_config_lightgbm_Alpha158) two ways, each scored beside quantml's
walk-forward predictions of the same dates (from a `quantml evaluate` run's predictions.parquet), on
the same rows (quantml's eligible universe) and against the same label: the 5-bar return from the
next open, per-date rank IC with the HAC t (lag 5). Qlib's own label (the next close to the close
after) is scored too.

- `split`: one chronological split as in Qlib's examples, train 2005-2012, valid 2013-2014, test
2015-01-02 .. 2017-11-10.
- `rolling`: Qlib's rolling workflow on quantml's segments: for each calendar year Y that quantml's
walk-forward predicts,
  a model trained on everything up to the end of Y-2, stopped early on Y-1 (Qlib's validation
  segment) and predicting Y.
  quantml's own block for Y trained on everything before Y (purged, embargoed) and chose its rounds
  on the last 252 dates of that window; Qlib gives a whole year to early stopping, so its training
  ends a year earlier. Qlib does not purge:
  its label reaches two bars past its segment's end.

    python -P benchmarks/qlib_panel.py --predictions REPORT/predictions.parquet [--data
    ../shared/data] [--seeds 0] [--mode both]
"""

import sys
import argparse, time, resource
from pathlib import Path
import pandas as pd
from quantml.core import scratch_dir
from quantml.store import ingest, read_prices
from quantml.alpha158 import to_qlib, qlib_lightgbm
from quantml.metrics import rank_ic_by_date, ic_summary

FIRST, LAST = '2005-02-25', '2017-11-10'
SEGMENTS = dict(
    train=(FIRST, '2012-12-31'), valid=('2013-01-01', '2014-12-31'), test=('2015-01-01', LAST)
)


def rolling_segments(years) -> list:
    """Qlib's rolling windows for the calendar years quantml predicts: train to Y-2, valid Y-1, test
    Y."""
    return [
        dict(
            train=(FIRST, f'{y - 2}-12-31'),
            valid=(f'{y - 1}-01-01', f'{y - 1}-12-31'),
            test=(f'{y}-01-01', min(f'{y}-12-31', LAST)),
        )
        for y in years
    ]


def score(ours: pd.DataFrame, q: pd.DataFrame, title: str):
    """Print Qlib's rank IC (each seed) beside quantml's, momentum's and the composite's, on
    quantml's rows of the same dates."""
    rows = []
    summary = lambda x, y, d: ic_summary(
        rank_ic_by_date(x.to_numpy(float), y.to_numpy(float), d.to_numpy()).rank_ic, 5
    )
    for seed, g in q.groupby('seed'):
        both = ours.merge(g[['symbol', 'date', 'pred', 'label']], on=['symbol', 'date'], how='left')
        for name, target in [
            (f"Qlib's LightGBM on Alpha158 (seed {seed})", 'fwd_ret'),
            ("  the same, against Qlib's own label", 'label'),
        ]:
            rows.append((name, summary(both.pred, both[target], both.date)))
        print(
            f"  seed {seed}: {both.pred.isna().mean():.1%} of quantml's rows have no Qlib "
            "prediction (Qlib drops rows it cannot label)"
        )
    for name, col in [
        ("quantml's walk-forward model (factors+alpha158)", 'p'),
        ('12-1 month momentum', 'mom12_1'),
        ('composite of five factors', 'composite'),
    ]:
        rows.append((name, summary(ours[col], ours.fwd_ret, ours.date)))
    print(
        f"\n{title}; on quantml's eligible rows, {ours.date.min().date()} .. "
        f"{ours.date.max().date()}; label: 5-bar return from the next open unless said"
    )
    print(f"{'':58s} {'rank IC':>8s} {'HAC t':>6s} {'dates':>6s}")
    for name, s in rows:
        print(f"{name:58s} {s['rank_ic']:8.4f} {s['t']:6.2f} {s['dates']:6d}")
    return rows


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    ap.add_argument(
        '--predictions',
        required=True,
        help="predictions.parquet of a `quantml evaluate` run on the same panel",
    )
    ap.add_argument('--seeds', default='0', help="comma-separated LightGBM seeds for Qlib's model")
    ap.add_argument('--mode', default='both', choices=('split', 'rolling', 'both'))
    a = ap.parse_args()
    path = Path(a.data) / 'us_stocks_2005_2017_a.csv.gz'
    if not path.exists():
        sys.exit(f"benchmark data not found: {path}")
    t0 = time.perf_counter()
    tmp = scratch_dir()
    ingest(path, tmp / 'us.duckdb')
    to_qlib(read_prices(tmp / 'us.duckdb'), tmp / 'qlib')
    print(f"panel {path.name}: Qlib export {time.perf_counter() - t0:.0f} s")
    seeds = tuple(int(s) for s in a.seeds.split(','))
    ours = pd.read_parquet(
        a.predictions, columns=['symbol', 'date', 'p', 'fwd_ret', 'mom12_1', 'composite']
    )
    runs = []
    if a.mode in ('split', 'both'):
        runs.append(
            ('one split', SEGMENTS, ours[(ours.date >= SEGMENTS['test'][0]) & (ours.date <= LAST)])
        )
    if a.mode in ('rolling', 'both'):
        # Qlib needs a year to train and one to stop on
        years = [int(y) for y in sorted(ours.date.dt.year.unique()) if y >= 2007]
        runs.append(
            (
                f'rolling, a window per year {years[0]}-{years[-1]}',
                rolling_segments(years),
                ours[ours.date.dt.year.isin(years)],
            )
        )
    for title, segments, mine in runs:
        t1 = time.perf_counter()
        q = qlib_lightgbm(tmp / 'qlib', segments, 'default', seeds=seeds, num_threads=2)
        print(
            f"\n{title}: Qlib's Alpha158 handler and LightGBM ({len(seeds)} seed(s)) "
            f"{time.perf_counter() - t1:.0f} s, "
            f"peak memory so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} "
            f"MB; test rows {len(q) // len(seeds):,}"
        )
        print(
            f"Qlib's trees per window (seed {seeds[0]}): "
            f"{q[q.seed == seeds[0]].groupby('window').trees.first().tolist()}"
        )
        score(mine, q, title)
        if 'rolling' in title:
            per = {}
            for seed, g in q.groupby('seed'):
                both = mine.merge(g[['symbol', 'date', 'pred']], on=['symbol', 'date'], how='left')
                for col, name in [
                    ('pred', f'Qlib seed {seed}'),
                    ('p', 'quantml'),
                    ('mom12_1', 'mom12_1'),
                ]:
                    ic = rank_ic_by_date(
                        both[col].to_numpy(float),
                        both.fwd_ret.to_numpy(float),
                        both.date.to_numpy(),
                    )
                    per[name] = ic.groupby(pd.DatetimeIndex(ic.index).year).rank_ic.mean()
            print('\nper year:\n' + pd.DataFrame(per).round(4).to_string())
    return 0


if __name__ == '__main__':
    sys.exit(main())
