"""The Dask path on the real S&P panel and a 2-worker LocalCluster: the same features exactly, an
equivalent model, the same signals."""

import json, shutil, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from quantml.core import QuantmlError
from quantml.store import ingest, read_prices
from quantml.features import compute_features, compute_indicators
from quantml.trainer import train_model
from quantml.dataset import LabelSpec
from quantml.registry import ModelRegistry
from quantml.serving import SignalService
from quantml.cluster import (
    connect,
    close_client,
    export_parquet,
    open_parquet,
    dask_features,
    train_model_dask,
    score_universe_dask,
)

QUANTML = shutil.which('quantml', path=str(Path(sys.executable).parent)) or shutil.which('quantml')


@pytest.fixture(scope='module')
def client():
    c = connect('local', n_workers=2, threads_per_worker=1)
    yield c
    close_client(c)


@pytest.fixture(scope='module')
def sp(data_dir, tmp_path_factory):
    "(store, Parquet dataset) of the S&P panel, in groups of 100 symbols."
    root = tmp_path_factory.mktemp('sp_dask')
    ingest(data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz', root / 'sp.duckdb')
    return root / 'sp.duckdb', export_parquet(
        root / 'sp.duckdb', root / 'parquet', symbols_per_group=100
    )


def _no_dist(data):
    return {k: v for k, v in data.items() if k not in ('distributed', 'prices_sha256')}


def _same(dist, single):
    dist = dist.reset_index(drop=True)
    # Dask's own string dtype; the values are compared below
    dist['symbol'] = dist['symbol'].astype('str')
    pd.testing.assert_frame_equal(dist, single, check_exact=True)


def test_parquet_groups_hold_whole_symbols(sp):
    db, data = sp
    prices = read_prices(db)
    assert (
        len(data.groups) == 6
        and data.rows == len(prices)
        and data.n_symbols == prices.symbol.nunique()
    )
    firsts = [g['first_symbol'] for g in data.groups]
    lasts = [g['last_symbol'] for g in data.groups]
    # disjoint, ordered: a symbol is in exactly one file
    assert all(a < b for a, b in zip(lasts, firsts[1:]))


def test_features_and_indicators_equal_single_machine_exactly(sp, client):
    db, data = sp
    prices = read_prices(db)
    _same(dask_features(data).compute(), compute_features(prices))
    _same(dask_features(data, indicators=True).compute(), compute_indicators(prices))


def test_model_equivalent_registered_and_scored_like_any_other(sp, client, tmp_path):
    db, data = sp
    single = train_model(
        read_prices(db), LabelSpec('threshold'), stop_on='log_loss', cv_folds=0, num_threads=2
    )
    dist = train_model_dask(client, data, LabelSpec('threshold'), stop_on='log_loss', cv_folds=0)
    # the same rows, labels, split and baseline...
    assert _no_dist(dist.data) == _no_dist(single.data)
    assert (
        dist.skill['dates'] == single.skill['dates']
        and abs(dist.skill['rank_ic'] - single.skill['rank_ic']) < 0.02
    )
    assert (
        dist.split == single.split
        and abs(dist.metrics['logreg_auc'] - single.metrics['logreg_auc']) < 1e-6
    )
    pd.testing.assert_frame_equal(
        dist.test_predictions.drop(columns='p'), single.test_predictions.drop(columns='p')
    )
    # ...and a model that agrees closely with one machine's
    assert abs(dist.metrics['auc'] - single.metrics['auc']) < 0.01, (
        dist.metrics['auc'],
        single.metrics['auc'],
    )
    assert abs(dist.metrics['valid_auc'] - single.metrics['valid_auc']) < 0.01
    assert np.corrcoef(dist.test_predictions.p, single.test_predictions.p)[0, 1] > 0.9
    reg = ModelRegistry(tmp_path / 'models')
    v = reg.save(dist)
    assert reg.verify(v)['ok']
    with SignalService(db, reg) as svc:
        assert svc.version == v and svc.score_symbol('AAPL').source == 'ml'
        pd.testing.assert_frame_equal(score_universe_dask(client, data, reg), svc.score_universe())
        pd.testing.assert_frame_equal(
            score_universe_dask(client, data, reg, as_of='2016-06-30', explain=True),
            svc.score_universe(as_of='2016-06-30', explain=True),
        )


@pytest.mark.parametrize('family, objective', [('rank', 'lambdarank'), ('excess', 'binary')])
def test_cross_sectional_labels_on_the_cluster_match_one_machine(sp, client, family, objective):
    """The default label (rank, lambdarank) and excess, built on date partitions and fitted through
    the trainer's seam. The same rows, labels and features exactly; an equivalent fit. The rounds
    are fixed: on this panel the seed's 22 features have no skill, the stopping curve is flat, and a
    distributed fit (LightGBM bins each feature from one worker's rows) can stop 20 rounds away
    (measured: 19 vs 1)."""
    db, data = sp
    fixed = dict(cv_folds=0, baselines=False, num_boost_round=100, early_stopping_rounds=None)
    single = train_model(read_prices(db), LabelSpec(family), num_threads=2, **fixed)
    dist = train_model_dask(client, data, LabelSpec(family), **fixed)
    assert dist.objective == single.objective == objective
    # the same rows, labels and features
    assert _no_dist(dist.data) == _no_dist(single.data) and dist.split == single.split
    pd.testing.assert_frame_equal(
        dist.test_predictions.drop(columns='p'), single.test_predictions.drop(columns='p')
    )
    # measured 0.006, 0.002
    assert abs(dist.metrics['rank_ic'] - single.metrics['rank_ic']) < 0.01, (
        dist.metrics['rank_ic'],
        single.metrics['rank_ic'],
    )
    # measured 0.92, 0.90
    assert np.corrcoef(dist.test_predictions.p, single.test_predictions.p)[0, 1] > 0.8


def test_a_file_the_workers_cannot_see_is_named(sp, client, tmp_path):
    db, _ = sp
    data = export_parquet(
        read_prices(db, ['AAPL', 'MSFT', 'XOM']), tmp_path / 'small', symbols_per_group=1
    )
    (tmp_path / 'small' / 'group-00001.parquet').unlink()
    with pytest.raises(
        QuantmlError, match='group-00001.parquet is not visible on .*storage they all share'
    ):
        dask_features(data).compute()
    with pytest.raises(QuantmlError, match='group-00001.parquet is missing'):
        open_parquet(tmp_path / 'small')


def test_cli_trains_and_scores_on_a_local_cluster(tmp_path):
    db = ['--db', str(tmp_path / 'm.duckdb')]
    run = lambda *a: subprocess.run(
        [QUANTML, *a, *db, '--registry', str(tmp_path / 'models')],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert (
        subprocess.run(
            [
                QUANTML,
                'synth',
                '--symbols',
                '40',
                '--days',
                '900',
                '--seed',
                '3',
                '--signal',
                '1',
                *db,
            ]
        ).returncode
        == 0
    )
    r = run('train', '--dask', 'local', '--cv-folds', '2', '--cs-norm', 'rank', '--json')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (
        out['version'] == 'v1'
        and out['data']['distributed']['workers'] == 2
        and out['cv']['k'] == 2
    )
    # per-date work on date partitions
    assert (
        out['label']['family'] == 'rank'
        and out['objective'] == 'lambdarank'
        and out['cs_norm'] == 'rank'
    )
    # the planted signal, found on the cluster
    assert out['metrics']['rank_ic'] > 0.05
    r = run('signal', '--all', '--dask', 'local', '--json')
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)['signals']
    assert len(rows) == 40 and {x['model_version'] for x in rows} == {'v1'}
    # the cs_norm model on one machine
    one = {
        x['symbol']: x['probability']
        for x in json.loads(run('signal', '--all', '--json').stdout)['signals']
    }
    # the same signals (one machine's --all also explains: the same scores)
    assert {x['symbol']: x['probability'] for x in rows} == one
    r = run('train', '--dask', 'tcp://127.0.0.1:9', '--parquet', str(tmp_path))
    assert (
        r.returncode == 1
        and 'not a quantml Parquet dataset' in r.stderr
        and 'Traceback' not in r.stderr
    )


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_cli_on_a_running_scheduler(tmp_path):
    """The README's way: `dask scheduler` and `dask worker` started on their own, quantml pointed at
    the scheduler's address."""
    from distributed import Client

    db = ['--db', str(tmp_path / 'm.duckdb')]
    assert (
        subprocess.run(
            [
                QUANTML,
                'synth',
                '--symbols',
                '30',
                '--days',
                '700',
                '--seed',
                '4',
                '--signal',
                '1',
                *db,
            ],
            capture_output=True,
        ).returncode
        == 0
    )
    csv = tmp_path / 'extra.csv'
    pd.DataFrame(
        {
            'date': pd.bdate_range('2015-01-02', periods=300),
            'open': 10.0,
            'high': 11.0,
            'low': 9.0,
            'close': 10.0 + np.arange(300) % 7 / 10,
            'volume': 1000.0,
            'symbol': 'ZZZ',
        }
    ).to_csv(csv, index=False)
    r = subprocess.run(
        [
            QUANTML,
            'ingest',
            str(csv),
            '--parquet-out',
            str(tmp_path / 'pq'),
            '--symbols-per-group',
            '8',
            '--json',
            *db,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['parquet'] == dict(
        path=str(tmp_path / 'pq'), groups=4, symbols=31, rows=30 * 700 + 300, symbols_per_group=8
    )
    dask = str(Path(QUANTML).parent / 'dask')
    address = f'tcp://127.0.0.1:{_free_port()}'
    log = open(tmp_path / 'cluster.log', 'w')
    procs = [
        subprocess.Popen(
            [
                dask,
                'scheduler',
                '--host',
                '127.0.0.1',
                '--port',
                address.rsplit(':', 1)[1],
                '--no-dashboard',
            ],
            stdout=log,
            stderr=log,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [dask, 'worker', address, '--nworkers', '2', '--nthreads', '1', '--no-dashboard'],
                stdout=log,
                stderr=log,
                cwd=tmp_path,
            )
        )
        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
        run = lambda *a: subprocess.run(
            [
                QUANTML,
                *a,
                '--dask',
                address,
                '--parquet',
                str(tmp_path / 'pq'),
                *db,
                '--registry',
                str(tmp_path / 'models'),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        r = run('train', '--cv-folds', '0', '--json')
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert (
            out['data']['distributed']['workers'] == 2
            and out['data']['distributed']['date_partitions'] == 4
            and out['data']['n_symbols'] == 31
        )
        r = run('signal', '--all', '--json')
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)['signals']
        assert len(rows) == 31 and {x['model_version'] for x in rows} == {out['version']}
        # the same signals as the store's service
        with SignalService(tmp_path / 'm.duckdb', tmp_path / 'models') as svc:
            one = svc.score_universe().set_index('symbol').probability
        assert np.allclose(
            pd.DataFrame(rows).set_index('symbol').probability.loc[one.index],
            one,
            rtol=0,
            atol=1e-12,
        )
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        log.close()


def test_alpha158_model_with_fitted_normalisation_scores_the_same_on_the_cluster(client, tmp_path):
    """The partitions compute the model's own feature set and apply its fitted medians and scales,
    as the single machine does."""
    from quantml.synth import synth_market
    from quantml.alpha158 import ALPHA158

    ingest(synth_market(60, 1000, seed=3, signal=1.0), tmp_path / 'syn.duckdb')
    db, data = (
        tmp_path / 'syn.duckdb',
        export_parquet(tmp_path / 'syn.duckdb', tmp_path / 'parquet', symbols_per_group=10),
    )
    m = train_model(
        read_prices(db),
        LabelSpec('excess'),
        features='alpha158',
        feature_norm='robust',
        cv_folds=0,
        baselines=False,
        num_threads=2,
    )
    assert m.degenerate is None, m.degenerate
    reg = ModelRegistry(tmp_path / 'models')
    reg.save(m)
    with SignalService(db, reg) as svc:
        assert svc.source == 'ml'
        as_of = str(read_prices(db).date.iloc[-40].date())
        single = svc.score_universe(as_of=as_of, explain=True)
        pd.testing.assert_frame_equal(
            score_universe_dask(client, data, reg, as_of=as_of, explain=True), single
        )
    assert len(data.groups) == 6 and len(single) == 60
    assert single.top_signals.map(lambda t: all(x['feature'] in ALPHA158 for x in t)).all()
