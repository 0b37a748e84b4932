"""The whole pipeline on the S&P panel: run_pipeline (what `quantml demo` runs) now, beside the same
call at an earlier commit, in one run on this machine, each in a fresh process, with the time spent
computing features.

The earlier commit (default 3433e4a, before the dataset became the value that flows) is taken from
this repository's history with `git archive` into a temporary folder and imported from there. Both
sides train the default version and a tuned one (--trials), score the universe, compare with the
heuristic, walk forward over 4 windows and backtest. Targets (issue 14): one feature build per run,
its share of the total under 10%, and the whole pipeline at most half the earlier commit's time.

    python benchmarks/pipeline.py [--trials 5] [--old 3433e4a] [--data ../shared/data] [--threads 2]
"""

import sys
from pathlib import Path
import argparse, json, os, subprocess, tempfile, textwrap
from quantml.core import scratch_dir

ROOT = Path(__file__).resolve().parents[1]

RUN = textwrap.dedent('''
    import json, sys, time
    import quantml.features as F
    calls, spent, real = [], [0.0], F.compute_features
    def timed(prices, *a, **k):
        t = time.perf_counter(); out = real(prices, *a, **k); spent[0] += time.perf_counter() - t
        calls.append(len(prices)); return out
    import importlib
    for name in ('quantml.dataset', 'quantml.trainer', 'quantml.serving', 'quantml.pipeline'):
        try: mod = importlib.import_module(name)
        except ImportError: continue
        if hasattr(mod, 'compute_features'): mod.compute_features = timed
    from quantml.pipeline import run_pipeline
    import quantml
    db, reg, trials, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    t = time.perf_counter()
    res = run_pipeline(db, reg, trials=trials, num_threads=threads)
    total = time.perf_counter() - t
    print(json.dumps(dict(total=total, features=spent[0], calls=calls, module=quantml.__file__)))
''')


def side(pythonpath, db, reg, trials, threads):
    env_path = {'PYTHONPATH': str(pythonpath)} if pythonpath else {}
    r = subprocess.run(
        [sys.executable, '-c', RUN, str(db), str(reg), str(trials), str(threads)],
        capture_output=True,
        text=True,
        env={**os.environ, **env_path, 'QUANTML_PROGRESS': '0'},
        cwd=tempfile.gettempdir(),
    )
    if r.returncode:
        sys.exit(f"pipeline run failed ({pythonpath or 'this checkout'}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--trials', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument(
        '--old', default='3433e4a', help="the earlier commit to measure beside this checkout"
    )
    ap.add_argument('--data', default=str(ROOT.parent / 'shared' / 'data'))
    a = ap.parse_args()
    path = Path(a.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    if not path.exists():
        sys.exit(f"benchmark data not found: {path}")
    from quantml.store import ingest

    tmp = scratch_dir()
    ingest(path, tmp / 'sp.duckdb')
    old = tmp / 'old'
    old.mkdir()
    subprocess.run(
        f"git -C {ROOT} archive {a.old} quantml | tar -x -C {old}", shell=True, check=True
    )
    rows = {}
    for name, pp in ((f'earlier commit {a.old}', old), ('this checkout', ROOT)):
        print(f"running {name} ...", flush=True)
        rows[name] = side(pp, tmp / 'sp.duckdb', tmp / f'models-{len(rows)}', a.trials, a.threads)
    print(
        f"\nrun_pipeline on the S&P panel ({a.trials} tuning trials, {a.threads} LightGBM threads):"
    )
    for name, r in rows.items():
        print(
            f"  {name:<28} total {r['total']:7.1f} s   features {r['features']:6.1f} s "
            f"({r['features'] / r['total']:5.1%})   "
            f"compute_features calls {len(r['calls'])} (rows: {', '.join(map(str, r['calls']))})"
        )
    (o, n) = rows.values()
    print(
        f"  ratio, this checkout / earlier: {n['total'] / o['total']:.2f}x (target <= 0.5x); "
        f"features share {n['features'] / n['total']:.1%} (target < 10%)"
    )


if __name__ == '__main__':
    main()
