"""Indicator speed: quantml's compute_indicators against a loop over symbols calling TA-Lib's C
functions.

Both compute all 22 indicators into one (rows x 22) frame. Each panel runs in a fresh subprocess, so
the peak memory it reports (ru_maxrss) is that panel's alone. Times are the min of --repeat runs
after one warm-up call; the warm-up (numba compile, or loading its on-disk cache) is reported
separately.
Target (issue 3): quantml at most 0.5x the TA-Lib loop's time on both panels; peak memory under 6
GB.

Alpha158 (issue 15): all 158 features of the S&P panel, quantml's compute_alpha158 against Qlib's
own expression engine (pyqlib, D.features with 2 processes) reading the same panel from its on-disk
format (written once, untimed).
Targets: quantml at most 1/20 of Qlib's time and under 1 s; on the synthetic panel, peak memory at
most 2.5x the 158-column float32 output matrix.

    python benchmarks/features.py [--repeat 7] [--data ../shared/data] [--symbols 5000 --days 2520]
                                  [--only alpha158|indicators]
"""

import sys
import argparse, multiprocessing as mp, resource, time
from quantml.core import scratch_dir
from pathlib import Path
import numpy as np, pandas as pd


def talib_loop(prices):
    """The reference: per symbol, TA-Lib's C functions (and numpy for the derived ratios) into one
    frame."""
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
            for j, w in enumerate((5, 10, 20, 50)):
                o[9 + j] = talib.SMA(cc, w)
            o[13], o[14], o[15] = talib.EMA(cc, 12), talib.EMA(cc, 26), talib.SMA(vv, 20)
            o[16] = np.where(o[15] != 0, vv / o[15], np.nan)
            o[17] = talib.OBV(cc, vv)
            for j, w in enumerate((1, 5, 20)):
                o[18 + j] = talib.ROCR(cc, w) - 1
            o[21] = (hh - ll) / cc
    frame = pd.DataFrame(out.T, columns=INDICATORS, copy=False)
    frame.insert(0, 'date', prices['date'].to_numpy())
    frame.insert(0, 'symbol', prices['symbol'].to_numpy())
    return frame


def _best(fn, prices, repeat):
    t = time.perf_counter()
    fn(prices)
    first = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(prices)
        times.append(time.perf_counter() - t)
    return first, min(times)


def _job(kind, which, args, q):
    "One panel, one implementation, in its own process."
    from quantml.features import compute_indicators

    t = time.perf_counter()
    if kind == 'sp500':
        from quantml.store import ingest, read_prices

        db = scratch_dir() / 'sp.duckdb'
        ingest(Path(args.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz', db)
        t = time.perf_counter()
        prices = read_prices(db)
    else:
        from quantml.synth import synth_market

        prices = synth_market(args.symbols, args.days, seed=0)
    load = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn = compute_indicators if which == 'quantml' else talib_loop
    first, best = _best(fn, prices, args.repeat)
    q.put(
        dict(
            rows=len(prices),
            symbols=prices.symbol.nunique(),
            load=load,
            first=first,
            best=best,
            peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            input_gb=rss0 / 2**20,
        )
    )


def _alpha_job(kind, which, args, q):
    "Alpha158 of one panel by one implementation, in its own process."
    t = time.perf_counter()
    if kind == 'sp500':
        from quantml.store import ingest, read_prices

        tmp = scratch_dir()
        ingest(Path(args.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz', tmp / 'sp.duckdb')
        prices = read_prices(tmp / 'sp.duckdb')
    else:
        from quantml.synth import synth_market

        prices = synth_market(args.symbols, args.days, seed=0)
    load = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if which == 'quantml':
        from quantml.alpha158 import compute_alpha158

        repeat = args.repeat if kind == 'sp500' else 1
        first, best = _best(compute_alpha158, prices, repeat)
    else:
        from quantml.alpha158 import to_qlib, qlib_alpha158

        folder = scratch_dir() / 'qlib'
        to_qlib(prices, folder)
        t = time.perf_counter()
        qlib_alpha158(folder, kernels=2)
        first = best = time.perf_counter() - t
    q.put(
        dict(
            rows=len(prices),
            symbols=prices.symbol.nunique(),
            load=load,
            first=first,
            best=best,
            peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            input_gb=rss0 / 2**20,
            output_gb=len(prices) * 158 * 4 / 2**30,
        )
    )


def run(kind, which, args, job=None):
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    p = ctx.Process(target=job or _job, args=(kind, which, args, q))
    p.start()
    r = q.get()
    p.join()
    return r


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--repeat', type=int, default=7)
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    ap.add_argument('--symbols', type=int, default=5000)
    ap.add_argument('--days', type=int, default=2520)
    ap.add_argument(
        '--only', choices=['alpha158', 'indicators'], help="run one of the two benchmarks"
    )
    args = ap.parse_args()
    ok = True
    panels = (
        ['sp500'] if (Path(args.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz').exists() else []
    ) + ['synthetic']
    if args.only != 'indicators':
        ok &= alpha158(panels, args)
    for kind in panels if args.only != 'alpha158' else []:
        q, ref = run(kind, 'quantml', args), run(kind, 'talib', args)
        ratio = q['best'] / ref['best']
        ok &= ratio <= 0.5 and q['peak_gb'] < 6
        name = (
            'S&P 500 panel (from the DuckDB store)'
            if kind == 'sp500'
            else f'synthetic panel {args.symbols:,} x {args.days:,}'
        )
        print(f"{name}: {q['rows']:,} rows, {q['symbols']:,} symbols (load {q['load']:.2f} s)")
        print(
            f"  quantml compute_indicators : {q['best']:.3f} s  "
            f"({q['rows'] / q['best'] / 1e6:.1f} M rows/s; first call {q['first']:.2f} s incl. "
            "numba compile/cache load)"
        )
        print(
            f"  TA-Lib C loop over symbols : {ref['best']:.3f} s  "
            f"({ref['rows'] / ref['best'] / 1e6:.1f} M rows/s; first call {ref['first']:.2f} s)"
        )
        print(f"  ratio quantml / TA-Lib     : {ratio:.2f}  (target <= 0.5)")
        print(
            f"  peak memory, quantml process: {q['peak_gb']:.2f} GB (of which the input panel and "
            f"start-up {q['input_gb']:.2f} GB; limit 6 GB); TA-Lib process {ref['peak_gb']:.2f} GB"
        )
    return 0 if ok else 1


def alpha158(panels, args) -> bool:
    """Alpha158: quantml against Qlib on the S&P panel; quantml's time and memory on the synthetic
    panel."""
    ok = True
    if 'sp500' in panels:
        q, ref = run('sp500', 'quantml', args, _alpha_job), run('sp500', 'qlib', args, _alpha_job)
        ratio = q['best'] / ref['best']
        ok &= ratio <= 1 / 20 and q['best'] < 1.0
        print(
            f"Alpha158, S&P 500 panel: {q['rows']:,} rows, {q['symbols']:,} symbols, 158 features"
        )
        print(
            f"  quantml compute_alpha158     : {q['best']:.3f} s  (best of {args.repeat}; first "
            f"call {q['first']:.2f} s incl. numba compile/cache load)"
        )
        print(
            f"  Qlib D.features (2 processes): {ref['best']:.3f} s  (from its on-disk format, one "
            "run)"
        )
        print(
            f"  ratio quantml / Qlib         : {ratio:.4f} = 1/{1 / ratio:.0f}  (target <= 1/20, "
            "and quantml under 1 s)"
        )
    s = run('synthetic', 'quantml', args, _alpha_job)
    mem = s['peak_gb'] / s['output_gb']
    ok &= mem <= 2.5
    print(f"Alpha158, synthetic panel {args.symbols:,} x {args.days:,}: {s['rows']:,} rows")
    print(
        f"  quantml compute_alpha158     : {s['best']:.2f} s  ({s['rows'] / s['best'] / 1e6:.1f} "
        "M rows/s)"
    )
    print(
        f"  output matrix (float32)      : {s['output_gb']:.2f} GB; peak memory of the process "
        f"{s['peak_gb']:.2f} GB "
        f"(input panel and start-up {s['input_gb']:.2f} GB) = {mem:.2f}x the output  (target <= "
        "2.5x)"
    )
    return ok


if __name__ == '__main__':
    sys.exit(main())
