"""The research job on the 12-year US panel: `quantml evaluate`'s figures, time and peak memory,
against issue 26's targets.

Loads ../shared/data/us_stocks_2005_2017_a.csv.gz into a scratch store, then runs
`quantml.research.evaluate` in a fresh process (so its peak memory is its own) with the defaults (or
--features), and prints the model beside the best documented factor, the linear baseline and the
composite on the same dates, the portfolio net of costs, and each target met or missed.

    python -P benchmarks/evaluate.py [--data ../shared/data] [--features factors+alpha158] [--out
    DIR]
"""

import sys
import argparse, json, subprocess, time
from pathlib import Path
from quantml.core import scratch_dir
from quantml.store import ingest

_CHILD = r"""
import json, resource, sys, time
from quantml.research import evaluate
db, features, out = sys.argv[1:4]
t = time.perf_counter()
s = evaluate(db, features=features, out=out)
s['seconds'] = time.perf_counter() - t
s['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(s, default=str))
"""


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    ap.add_argument('--features', default='factors+alpha158')
    ap.add_argument('--out', default=None)
    a = ap.parse_args()
    path = Path(a.data) / 'us_stocks_2005_2017_a.csv.gz'
    if not path.exists():
        sys.exit(f"benchmark data not found: {path}")
    tmp = scratch_dir()
    db, out = tmp / 'us.duckdb', Path(a.out) if a.out else tmp / 'report'
    t = time.perf_counter()
    ing = ingest(path, db)
    t_ing = time.perf_counter() - t
    r = subprocess.run(
        [sys.executable, '-c', _CHILD, str(db), a.features, str(out)],
        capture_output=True,
        text=True,
        env={'QUANTML_PROGRESS': '0', **__import__('os').environ},
    )
    if r.returncode:
        sys.exit(f"evaluate failed:\n{r.stderr[-3000:]}")
    s = json.loads(r.stdout.strip().splitlines()[-1])
    wf, bf, lin, comp, pf = (
        s['walk_forward'],
        s['best_factor'],
        s['linear_baseline'],
        s['composite'],
        s.get('portfolio', {}),
    )
    print(
        f"panel: {path.name}, {ing.rows_read:,} rows read, {ing.rows_loaded:,} loaded, "
        f"{ing.rows_rejected} rejected (ingest {t_ing:.1f} s)"
    )
    print(
        f"features {a.features}; universe {s['data']['universe']}; dataset rows "
        f"{s['data']['dataset_rows']:,}; blocks {wf['blocks']}, "
        f"predicted {wf['first_predicted']} .. {wf['last_predicted']}"
    )
    print(f"{'':34s} {'rank IC':>8s} {'HAC t':>6s} {'t (non-overl.)':>14s} {'dates':>6s}")
    for name, x in [
        ('model (walk-forward)', wf),
        (f"best factor: {bf['name']}", bf),
        ('linear baseline on the factors', lin),
        ('composite of five factors', comp),
    ]:
        print(
            f"{name:34s} {x['rank_ic']:8.4f} {x['t']:6.2f} {x['t_nonoverlap']:14.2f} "
            f"{x['dates']:6d}"
        )
    for f in s['factors']:
        print(f"  {f['name']:32s} {f['rank_ic']:8.4f} {f['t']:6.2f} {f['t_nonoverlap']:14.2f}")
    print(
        'per year (model, best factor):',
        {
            y: (round(v, 4), round(bf_y, 4))
            for (y, v), bf_y in zip(
                wf['per_year'].items(),
                next(f for f in s['factors'] if f['name'] == bf['name'])['per_year'].values(),
            )
        },
    )
    if pf:
        print(
            f"portfolio: {pf['construction']}: excess {pf['excess_annual']:+.2%} a year "
            f"({pf['excess_annual_gross']:+.2%} before costs), information ratio "
            f"{pf['information_ratio']:.2f} "
            f"(95% {pf['information_ratio_ci'][0]:.2f} .. {pf['information_ratio_ci'][1]:.2f}), "
            f"turnover {pf['turnover']:.1%} a day; "
            f"model {pf['annual_return']:.2%} a year, universe {pf['universe_annual_return']:.2%} "
            "(survivorship-biased)"
        )
        for q in (pf['flat_costs'], pf['tranches']):
            print(
                f"  {q['construction'] or 'the same book, ' + q['cost_model']}: excess "
                f"{q['excess_annual']:+.2%} a year ({q['excess_annual_gross']:+.2%} before costs), "
                f"information ratio {q['information_ratio']:.2f} (95% "
                f"{q['information_ratio_ci'][0]:.2f} .. {q['information_ratio_ci'][1]:.2f}), "
                f"turnover {q['turnover']:.1%} a day"
            )
    ratio = wf['rank_ic'] / bf['rank_ic']
    checks = [
        ('HAC t >= 3', wf['t'] >= 3),
        ('at least 2,000 dates', wf['dates'] >= 2000),
        (f'ratio to best factor {ratio:.2f} >= 1.25', ratio >= 1.25),
        ('portfolio excess > 0', pf.get('excess_annual', -1) > 0),
        ('information ratio >= 0.5', pf.get('information_ratio', 0) >= 0.5),
        ('turnover <= 25% a day', pf.get('turnover', 1) <= 0.25),
        (f"time {s['seconds']:.0f} s <= 20 min", s['seconds'] <= 1200),
        (f"peak memory {s['peak_mb']:,.0f} MB < 8 GB", s['peak_mb'] < 8192),
    ]
    for what, ok in checks:
        print(f"  {'met   ' if ok else 'MISSED'} {what}")
    print(f"report: {out / 'report.html'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == '__main__':
    sys.exit(main())
