"""Ingest speed: quantml's validated load of the S&P file against a bare DuckDB CREATE TABLE AS read_csv.

Both run in this process, on the same file, alternating, each into a fresh database file; the ratio of
medians is printed. Target (issue 2): validated first load at most 2.0x the bare read.

    python benchmarks/ingest.py [--repeat 5] [--data ../shared/data]
"""
import sys
import argparse, statistics, time
from pathlib import Path
import duckdb
from quantml.core import scratch_dir
from quantml.store import ingest

def bare(path, db):
    con = duckdb.connect(str(db))
    t = time.perf_counter()
    con.execute(f"CREATE TABLE prices AS SELECT * FROM read_csv('{path}')")
    con.close()
    return time.perf_counter() - t

def timed(fn, *a):
    t = time.perf_counter(); out = fn(*a); return time.perf_counter() - t, out

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    a = ap.parse_args()
    path = Path(a.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    if not path.exists(): sys.exit(f"benchmark data not found: {path}")
    tmp = scratch_dir()
    b, q, r = [], [], []
    for i in range(a.repeat):
        b.append(bare(path, tmp / f'bare{i}.duckdb'))
        t, s = timed(ingest, path, tmp / f'q{i}.duckdb'); q.append(t)
        t, s2 = timed(ingest, path, tmp / f'q{i}.duckdb'); r.append(t)     # the same file again: every row unchanged
    assert s.rows_loaded + s.rows_rejected == s.rows_read and s2.rows_unchanged == s.rows_loaded
    mb, mq, mr = map(statistics.median, (b, q, r))
    print(f"file: {path.name}, {s.rows_read:,} rows ({s.rows_loaded:,} loaded, {s.rows_rejected} rejected); {a.repeat} runs, medians")
    print(f"bare DuckDB CREATE TABLE AS read_csv : {mb:.3f} s")
    print(f"quantml ingest, first load           : {mq:.3f} s   ratio {mq / mb:.2f}x  (target <= 2.0x)")
    print(f"quantml ingest, same file again      : {mr:.3f} s   ratio {mr / mb:.2f}x")
    return 0 if mq / mb <= 2.0 else 1

if __name__ == '__main__': sys.exit(main())
