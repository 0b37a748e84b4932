"""The trainer on the real S&P panel, and `quantml train --json` on the embedded default and on the
real data."""

import json, os, subprocess, sys, shutil
from pathlib import Path
import pytest
from quantml.store import ingest, read_prices
from quantml.trainer import train_model
from quantml.dataset import LabelSpec

QUANTML = shutil.which('quantml', path=str(Path(sys.executable).parent)) or shutil.which('quantml')


@pytest.fixture(scope='module')
def sp_db(data_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp('sp') / 'sp.duckdb'
    ingest(data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz', db)
    return db


def test_real_panel_trains_and_reports_honestly(sp_db):
    # the default label and objective
    m = train_model(read_prices(sp_db), cv_folds=2)
    mt = m.metrics
    assert (m.label.family, m.objective) == ('rank', 'lambdarank')
    # late listers have no training rows
    assert m.data['n_symbols'] > 480 and m.split['rows']['test'] > 100_000
    assert mt['ic_method'] == 'per_date' and mt['ic_dates'] > 200
    # a realistic daily IC is a few hundredths; far above that would be a leak to explain, not a
    # result
    assert abs(mt['ic']) < 0.1 and abs(mt['rank_ic']) < 0.1 and abs(m.skill['rank_ic']) < 0.1, (
        mt,
        m.skill,
    )
    assert m.degenerate is None and m.skill['dates'] > 80


def test_the_seeds_label_is_a_volatility_forecast(sp_db):
    m = train_model(
        read_prices(sp_db),
        LabelSpec('threshold', returns='close'),
        cv_folds=0,
        num_boost_round=100,
        early_stopping_rounds=None,
    )
    # 100 trees: early stopping on this label keeps 1 or 2
    mt = m.metrics
    # it ranks who will move more than 2% ...
    assert 0.53 < mt['auc'] < 0.65 and mt['majority_accuracy'] > 0.7
    assert abs(mt['rank_ic']) < 0.03  # ... not which way
    assert m.importance.feature.iloc[0] in ('hl_range', 'atr_rel', 'bb_width')


def test_cli_train_json_on_real_data(sp_db):
    five = [
        '--db',
        str(sp_db),
        '--symbols',
        'AAPL',
        'MSFT',
        'GOOGL',
        'AMZN',
        'JPM',
        '--cv-folds',
        '2',
        '--json',
    ]
    r = subprocess.run([QUANTML, 'train', *five], capture_output=True, text=True, timeout=600)
    # no cross-section
    assert (
        r.returncode == 1
        and 'median of 5 symbols per date' in r.stderr
        and '--label threshold' in r.stderr
    )
    # registers under the test run's QUANTML_HOME
    r = subprocess.run(
        [QUANTML, 'train', *five, '--label', 'threshold'],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (
        out['data']['symbols'] == ['AAPL', 'AMZN', 'GOOGL', 'JPM', 'MSFT']
        and out['metrics']['ic_method'] == 'pooled'
    )
    assert out['label'] == {
        'family': 'threshold',
        'horizon': 5,
        'threshold': 0.02,
        'returns': 'open',
        'score': 'percentile',
    }
    assert out['split']['embargo'] == 5


def test_cli_train_json_on_the_embedded_default(tmp_path):
    env = {**os.environ, 'QUANTML_HOME': str(tmp_path)}
    assert (
        subprocess.run([QUANTML, 'demo'], capture_output=True, env=env, timeout=600).returncode == 0
    )
    r = subprocess.run(
        [QUANTML, 'train', '--cv-folds', '2', '--json'],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # the demo market has the planted signal
    assert (
        out['data']['n_symbols'] == 60
        and out['metrics']['rank_ic'] > 0.05
        and out['skill']['t'] >= 2
    )
    # the demo registered v1 and v2
    assert out['version'] == 'v3' and out['registry'] == str(tmp_path / 'models')
    listed = json.loads(
        subprocess.run(
            [QUANTML, 'models', 'list', '--json'],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        ).stdout
    )
    assert listed['total'] == 3 and listed['latest_version'] == 'v3'
    assert (
        subprocess.run(
            [QUANTML, 'models', 'promote', 'v3'], capture_output=True, env=env, timeout=120
        ).returncode
        == 0
    )
    assert (
        subprocess.run(
            [QUANTML, 'models', 'verify'], capture_output=True, env=env, timeout=120
        ).returncode
        == 0
    )
