"""Ingest speed and memory: quantml's validated load against a bare DuckDB CREATE TABLE AS read_csv.

Each load runs in a fresh process (so its peak memory is its own), on the same file, alternating,
each into a fresh database file; the ratio of medians and each one's peak resident memory are
printed.
Target (issues 2 and 26): validated first load at most 2.0x the bare read, every row accounted for.

    python benchmarks/ingest.py [--repeat 5] [--data ../shared/data] [--file
    us_stocks_2005_2017_a.csv.gz]
"""

import sys
import argparse, json, statistics, subprocess
from pathlib import Path
from quantml.core import scratch_dir

_CHILD = r"""
import json, resource, sys, time
kind, path, db = sys.argv[1:4]
import duckdb
from quantml.store import ingest                 # imports before the clock starts: the load is
    timed, not Python's start
t = time.perf_counter()
if kind == 'bare':
    con = duckdb.connect(db); con.execute(f"CREATE TABLE prices AS SELECT * FROM
        read_csv('{path}')"); con.close(); out = {}
else:
    s = ingest(path, db); out = dict(read=s.rows_read, loaded=s.rows_loaded,
        rejected=s.rows_rejected, unchanged=s.rows_unchanged, flags=s.flags)
out.update(seconds=time.perf_counter() - t,
    peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def run(kind, path, db) -> dict:
    r = subprocess.run(
        [sys.executable, '-c', _CHILD, kind, str(path), str(db)], capture_output=True, text=True
    )
    if r.returncode:
        sys.exit(f"{kind} load failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    ap.add_argument('--file', default='sp500_5yr_kaggle_2013_2018.csv.gz')
    a = ap.parse_args()
    path = Path(a.data) / a.file
    if not path.exists():
        sys.exit(f"benchmark data not found: {path}")
    tmp = scratch_dir()
    b, q, r = [], [], []
    for i in range(a.repeat):
        b.append(run('bare', path, tmp / f'bare{i}.duckdb'))
        q.append(run('quantml', path, tmp / f'q{i}.duckdb'))
        # the same file again: every row unchanged
        r.append(run('quantml', path, tmp / f'q{i}.duckdb'))
    s, s2 = q[-1], r[-1]
    assert s['loaded'] + s['rejected'] == s['read'] and s2['unchanged'] == s['loaded'], (s, s2)
    med = lambda runs, k: statistics.median(x[k] for x in runs)
    mb, mq, mr = med(b, 'seconds'), med(q, 'seconds'), med(r, 'seconds')
    print(
        f"file: {path.name}, {s['read']:,} rows ({s['loaded']:,} loaded, {s['rejected']} "
        "rejected, every row accounted for); "
        f"flags {s['flags']}; {a.repeat} runs, medians"
    )
    print(f"bare DuckDB CREATE TABLE AS read_csv : {mb:.3f} s   peak {med(b, 'peak_mb'):,.0f} MB")
    print(
        f"quantml ingest, first load           : {mq:.3f} s   peak {med(q, 'peak_mb'):,.0f} MB   "
        f"ratio {mq / mb:.2f}x  (target <= 2.0x)"
    )
    print(
        f"quantml ingest, same file again      : {mr:.3f} s   peak {med(r, 'peak_mb'):,.0f} MB   "
        f"ratio {mr / mb:.2f}x"
    )
    return 0 if mq / mb <= 2.0 else 1


if __name__ == '__main__':
    sys.exit(main())
