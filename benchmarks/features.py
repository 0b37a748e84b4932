"""Indicator speed: quantml's compute_indicators against a loop over symbols calling TA-Lib's C functions.

Both compute all 22 indicators into one (rows x 22) frame. Each panel runs in a fresh subprocess, so the
peak memory it reports (ru_maxrss) is that panel's alone. Times are the min of --repeat runs after one
warm-up call; the warm-up (numba compile, or loading its on-disk cache) is reported separately.
Target (issue 3): quantml at most 0.5x the TA-Lib loop's time on both panels; peak memory under 6 GB.

    python benchmarks/features.py [--repeat 7] [--data ../shared/data] [--symbols 5000 --days 2520]
"""
import argparse, json, multiprocessing as mp, resource, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd

def talib_loop(prices):
    "The reference: per symbol, TA-Lib's C functions (and numpy for the derived ratios) into one frame."
    import talib
    from quantml.features import INDICATORS
    sym = prices['symbol'].to_numpy()
    starts = np.r_[0, np.flatnonzero(sym[1:] != sym[:-1]) + 1, len(sym)]
    h, l, c, v = (prices[k].to_numpy(dtype=float) for k in ('high', 'low', 'close', 'volume'))
    out = np.empty((22, len(c)))
    with np.errstate(divide='ignore', invalid='ignore'):
        for a, b in zip(starts[:-1], starts[1:]):
            hh, ll, cc, vv, o = h[a:b], l[a:b], c[a:b], v[a:b], out[:, a:b]
            o[0] = talib.RSI(cc, 14)
            o[1], o[2], o[3] = talib.MACD(cc, 12, 26, 9)
            o[4], o[5], o[6] = talib.BBANDS(cc, 20, 2, 2)
            o[7] = np.where(o[5] != 0, (o[4] - o[6]) / o[5], np.nan)
            o[8] = np.where(o[4] != o[6], (cc - o[6]) / (o[4] - o[6]), np.nan)
            for j, w in enumerate((5, 10, 20, 50)): o[9 + j] = talib.SMA(cc, w)
            o[13], o[14], o[15] = talib.EMA(cc, 12), talib.EMA(cc, 26), talib.SMA(vv, 20)
            o[16] = np.where(o[15] != 0, vv / o[15], np.nan)
            o[17] = talib.OBV(cc, vv)
            for j, w in enumerate((1, 5, 20)): o[18 + j] = talib.ROCR(cc, w) - 1
            o[21] = (hh - ll) / cc
    frame = pd.DataFrame(out.T, columns=INDICATORS, copy=False)
    frame.insert(0, 'date', prices['date'].to_numpy()); frame.insert(0, 'symbol', prices['symbol'].to_numpy())
    return frame

def _best(fn, prices, repeat):
    t = time.perf_counter(); fn(prices); first = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(prices); times.append(time.perf_counter() - t)
    return first, min(times)

def _job(kind, which, args, q):
    "One panel, one implementation, in its own process."
    from quantml.features import compute_indicators
    t = time.perf_counter()
    if kind == 'sp500':
        from quantml.store import ingest, read_prices
        db = Path(tempfile.mkdtemp()) / 'sp.duckdb'
        ingest(Path(args.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz', db)
        t = time.perf_counter(); prices = read_prices(db)
    else:
        from quantml.synth import synth_market
        prices = synth_market(args.symbols, args.days, seed=0)
    load = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn = compute_indicators if which == 'quantml' else talib_loop
    first, best = _best(fn, prices, args.repeat)
    q.put(dict(rows=len(prices), symbols=prices.symbol.nunique(), load=load, first=first, best=best,
               peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, input_gb=rss0 / 2**20))

def run(kind, which, args):
    ctx = mp.get_context('spawn'); q = ctx.Queue()
    p = ctx.Process(target=_job, args=(kind, which, args, q)); p.start()
    r = q.get(); p.join()
    return r

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeat', type=int, default=7)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    ap.add_argument('--symbols', type=int, default=5000)
    ap.add_argument('--days', type=int, default=2520)
    args = ap.parse_args()
    ok = True
    panels = (['sp500'] if (Path(args.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz').exists() else []) + ['synthetic']
    for kind in panels:
        q, ref = run(kind, 'quantml', args), run(kind, 'talib', args)
        ratio = q['best'] / ref['best']
        ok &= ratio <= 0.5 and q['peak_gb'] < 6
        name = 'S&P 500 panel (from the DuckDB store)' if kind == 'sp500' else f'synthetic panel {args.symbols:,} x {args.days:,}'
        print(f"{name}: {q['rows']:,} rows, {q['symbols']:,} symbols (load {q['load']:.2f} s)")
        print(f"  quantml compute_indicators : {q['best']:.3f} s  ({q['rows'] / q['best'] / 1e6:.1f} M rows/s; first call {q['first']:.2f} s incl. numba compile/cache load)")
        print(f"  TA-Lib C loop over symbols : {ref['best']:.3f} s  ({ref['rows'] / ref['best'] / 1e6:.1f} M rows/s; first call {ref['first']:.2f} s)")
        print(f"  ratio quantml / TA-Lib     : {ratio:.2f}  (target <= 0.5)")
        print(f"  peak memory, quantml process: {q['peak_gb']:.2f} GB (of which the input panel and start-up {q['input_gb']:.2f} GB; limit 6 GB); TA-Lib process {ref['peak_gb']:.2f} GB")
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
