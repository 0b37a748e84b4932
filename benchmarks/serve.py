"""Serving speed: a real `quantml serve` on loopback, single-symbol signal requests from concurrent clients.

The S&P panel is ingested, a 200-tree model (the default label) is trained on it, registered and promoted; the server is
started as `quantml serve` in its own process; `--clients` threads each send `--requests` GET /api/v1/ml/signals/{symbol}
for random symbols (a bounded number: clients x requests in all), after a warm-up. Printed: requests a second, p50 and
p99 latency, the status codes; beside them, in the same run, the in-process `score_symbol` time for the same symbols.
Targets (issue 18): at least 500 requests a second with p99 under 50 ms on this machine.

    python benchmarks/serve.py [--clients 20] [--requests 50] [--data ../shared/data]
"""
import os, sys
# benchmarks/signal.py is named like the standard library's `signal`: keep this folder off the import path
sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != os.path.dirname(os.path.abspath(__file__))]
import argparse, collections, shutil, socket, statistics, subprocess, tempfile, threading, time
from pathlib import Path
import numpy as np
import httpx
from quantml.registry import ModelRegistry
from quantml.signal import SignalService
from quantml.store import ingest, read_prices
from quantml.trainer import train_model

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clients', type=int, default=20)
    ap.add_argument('--requests', type=int, default=50, help="requests per client")
    ap.add_argument('--data', default=str(Path(__file__).resolve().parents[2] / 'shared' / 'data'))
    a = ap.parse_args()
    path = Path(a.data) / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    if not path.exists(): sys.exit(f"benchmark data not found: {path}")
    tmp = Path(tempfile.mkdtemp())
    db, reg = tmp / 'sp.duckdb', ModelRegistry(tmp / 'models')
    ingest(path, db)
    prices = read_prices(db)
    reg.promote(reg.save(train_model(prices, cv_folds=0, baselines=False, num_boost_round=200, early_stopping_rounds=None, num_threads=2)))
    symbols = sorted(prices.symbol.unique())
    rng = np.random.default_rng(0)
    plan = [list(rng.choice(symbols, a.requests)) for _ in range(a.clients)]

    t_in = []
    with SignalService(db, reg) as svc:
        svc.score_symbol(symbols[0])
        for s in plan[0]:
            t = time.perf_counter(); svc.score_symbol(s); t_in.append(time.perf_counter() - t)

    port = _free_port(); url = f'http://127.0.0.1:{port}'
    quantml = shutil.which('quantml', path=str(Path(sys.executable).parent)) or 'quantml'
    proc = subprocess.Popen([quantml, 'serve', '--port', str(port), '--db', str(db), '--registry', str(reg.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(url + '/health', timeout=1).status_code == 200: break
            except httpx.HTTPError: time.sleep(0.1)
        with httpx.Client(timeout=30) as c:
            for s in symbols[:20]: c.get(f'{url}/api/v1/ml/signals/{s}')          # warm-up
        lat, codes, lock = [], collections.Counter(), threading.Lock()
        def client(todo):
            with httpx.Client(timeout=30) as c:
                for s in todo:
                    t = time.perf_counter(); r = c.get(f'{url}/api/v1/ml/signals/{s}'); dt = time.perf_counter() - t
                    with lock: lat.append(dt); codes[r.status_code] += 1
        threads = [threading.Thread(target=client, args=(p,)) for p in plan]
        t0 = time.perf_counter()
        for t in threads: t.start()
        for t in threads: t.join()
        wall = time.perf_counter() - t0
    finally:
        proc.terminate(); proc.wait(timeout=30)
    ms = lambda xs, q: float(np.quantile(xs, q)) * 1000
    n = len(lat)
    print(f"S&P panel, {len(symbols)} symbols, 200-tree model; {a.clients} clients x {a.requests} requests = {n} requests")
    print(f"server : {n / wall:7.1f} requests/s   p50 {ms(lat, 0.5):7.1f} ms   p99 {ms(lat, 0.99):7.1f} ms   status {dict(codes)}")
    print(f"in-process score_symbol, same symbols: p50 {ms(t_in, 0.5):.1f} ms  p99 {ms(t_in, 0.99):.1f} ms")
    print(f"targets: >= 500 requests/s and p99 < 50 ms: {'met' if n / wall >= 500 and ms(lat, 0.99) < 50 else 'not met'}")
    return 0

if __name__ == '__main__': sys.exit(main())
