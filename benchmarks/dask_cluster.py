"""One machine against a 2-worker Dask LocalCluster (issues 10, 29): features, and training, on a
real or a synthetic panel.

The panel (--panel FILE, such as ../shared/data/us_stocks_2005_2017_a.csv.gz, ingested by the
store's rules; or by default a synthetic 5,000 symbols x 2,520 business days, 12.6 M rows) is
written once as the partitioned Parquet dataset of quantml.cluster. Both paths then read the same
files:
  - features: compute_features of all the rows in one process, against dask_features(...).compute()
  on the cluster
    (the cluster's time includes sending the features back to this process);
  - training: train_model against train_model_dask with the same label, objective, features and
  normalisation (--label,
    --features, --cs-norm), no CV and no linear baseline; with --rounds N both fit N rounds, without
    it both stop early on the validation rank IC as train_model does by default. The test rank IC of
    both and their difference are printed.
The one-machine side runs in its own subprocess, so its peak memory (VmHWM) is its own; the
cluster's workers report their own VmHWM after each phase (restarted in between), and the client
process its own. This machine has 2 cores, so the cluster cannot be faster than one machine here:
what it shows is the cost of distributing and the memory each worker needs.

    python benchmarks/dask_cluster.py [--panel FILE | --symbols 5000 --days 2520] [--label rank]
                                      [--features seed22] [--cs-norm rank] [--rounds 100]
                                      [--group 250]
"""

import argparse, multiprocessing as mp, time
from quantml.core import scratch_dir


def _settings(args) -> dict:
    "train_model's settings for both sides."
    from quantml.dataset import LabelSpec

    rounds = dict(num_boost_round=args.rounds, early_stopping_rounds=None) if args.rounds else {}
    return dict(
        label=LabelSpec(args.label),
        features=args.features,
        cs_norm=args.cs_norm,
        cv_folds=0,
        baselines=False,
        **rounds,
    )


def _single(path, settings, q):
    "The one-machine side, in a fresh process: read every group, features, then train_model."
    import pandas as pd
    from quantml.cluster import open_parquet, read_group
    from quantml.features import compute_features
    from quantml.trainer import train_model

    data = open_parquet(path)
    prices = pd.concat([read_group(p) for p in data.paths], ignore_index=True)
    # compile / load numba's cache
    compute_features(prices.head(1000))
    t = time.perf_counter()
    f = compute_features(prices)
    t_feat = time.perf_counter() - t
    del f
    t = time.perf_counter()
    m = train_model(prices, **settings)
    t_train = time.perf_counter() - t
    q.put(
        dict(
            features=t_feat,
            train=t_train,
            rank_ic=m.metrics['rank_ic'],
            rounds=m.num_iterations,
            rss=_worker_peak(),
        )
    )


def _warm_up():
    from quantml.features import compute_features
    from quantml.synth import synth_market

    compute_features(synth_market(3, 300))


def _worker_peak():
    """This process's peak resident memory in GB: VmHWM, which starts afresh at exec. (ru_maxrss
    does not: a spawned process starts with its parent's peak, and here the parents are the client
    process and its nannies.)"""
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / (1024**2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--symbols', type=int, default=5000)
    ap.add_argument('--days', type=int, default=2520)
    ap.add_argument('--panel', help="a long OHLCV file to ingest (default: the synthetic panel)")
    ap.add_argument(
        '--label', default='rank', help="label family (default rank, with its default objective)"
    )
    ap.add_argument('--features', default='seed22', help="feature set (default seed22)")
    ap.add_argument('--cs-norm', default=None, help="per-date normalisation (default none)")
    ap.add_argument(
        '--rounds',
        type=int,
        default=None,
        help="a fixed number of boosting rounds for both (default: early stopping)",
    )
    ap.add_argument('--group', type=int, default=250, help="symbols per Parquet file (default 250)")
    args = ap.parse_args()
    from quantml.synth import synth_market
    from quantml.cluster import (
        export_parquet,
        connect,
        close_client,
        dask_features,
        train_model_dask,
    )

    root = scratch_dir('qml-dask-bench-')
    t = time.perf_counter()
    from quantml.store import ingest

    # by the store's rules: bad rows left out, counted
    loaded = ingest(
        args.panel or synth_market(args.symbols, args.days, seed=0), root / 'panel.duckdb'
    )
    data = export_parquet(root / 'panel.duckdb', root / 'parquet', symbols_per_group=args.group)
    print(
        f"panel: {args.panel or 'synthetic'}, {data.n_symbols:,} symbols, {data.rows:,} rows "
        f"({loaded.rows_rejected:,} rejected by the store) "
        f"in {len(data.groups)} Parquet files "
        f"(written in {time.perf_counter() - t:.0f} s); label {args.label}, features "
        f"{args.features}, cs_norm {args.cs_norm}, "
        f"{f'{args.rounds} rounds' if args.rounds else 'early stopping'}",
        flush=True,
    )
    settings = _settings(args)

    q = mp.get_context('spawn').Queue()
    p = mp.get_context('spawn').Process(target=_single, args=(str(data.root), settings, q))
    p.start()
    one = q.get()
    p.join()
    print(
        f"one machine: features {one['features']:.1f} s, train {one['train']:.1f} s, test rank IC "
        f"{one['rank_ic']:.4f} ({one['rounds']} rounds), "
        f"peak {one['rss']:.2f} GB",
        flush=True,
    )

    client = connect('local', n_workers=2, threads_per_worker=1)
    try:
        # numba's cache loaded on each worker, as on one machine
        client.run(_warm_up)
        t = time.perf_counter()
        n = dask_features(data).map_partitions(len).compute().sum()
        t_kept = time.perf_counter() - t
        assert n == data.rows
        t = time.perf_counter()
        f = dask_features(data).compute()
        t_feat = time.perf_counter() - t
        del f
        peaks_feat = client.run(_worker_peak)
        # fresh worker processes: the training peaks are training's own
        client.restart()
        t = time.perf_counter()
        m = train_model_dask(client, data, **settings)
        t_train = time.perf_counter() - t
        peaks = client.run(_worker_peak)
    finally:
        close_client(client)
    client_peak = _worker_peak()
    gb = lambda d: ', '.join(f'{v:.2f} GB' for v in d.values())
    print(
        f"2-worker LocalCluster (1 thread each): features {t_kept:.1f} s kept on the workers, "
        f"{t_feat:.1f} s gathered to the client; "
        f"train {t_train:.1f} s, test rank IC {m.metrics['rank_ic']:.4f} ({m.num_iterations} "
        "rounds); "
        f"difference from one machine {m.metrics['rank_ic'] - one['rank_ic']:+.4f}"
    )
    print(
        f"  peak memory per worker: features {gb(peaks_feat)}; training {gb(peaks)}; client "
        f"process {client_peak:.2f} GB "
        f"(it built the panel and received the gathered features)"
    )
    print(
        f"ratios cluster / one machine: features kept {t_kept / one['features']:.2f}x, gathered "
        f"{t_feat / one['features']:.2f}x, "
        f"train {t_train / one['train']:.2f}x; largest training worker peak / one-machine peak "
        f"{max(peaks.values()) / one['rss']:.2f}"
    )


if __name__ == '__main__':
    main()
