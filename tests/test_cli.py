"The installed `quantml` command, as a user runs it."

import json, os, shutil, subprocess, sys
from pathlib import Path

QUANTML = shutil.which('quantml', path=str(Path(sys.executable).parent)) or shutil.which('quantml')


def run(*args, env=None):
    return subprocess.run(
        [QUANTML, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_help_lists_commands_and_examples():
    r = run('--help')
    assert r.returncode == 0 and all(c in r.stdout for c in ('ingest', 'synth', 'demo'))
    assert 'examples:' in run('ingest', '--help').stdout


def test_demo_runs_the_pipeline_under_quantml_home(tmp_path):
    env = {'QUANTML_HOME': str(tmp_path)}
    r = run('demo', '--trials', '2', '--json', env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['db'] == str(tmp_path / 'quantml.duckdb') and out['registry'] == str(
        tmp_path / 'models'
    )
    assert (
        out['synthetic'] is True and out['symbols'] == 60 and out['ingest']['rows_loaded'] == 90_000
    )
    report = Path(out['report'])
    assert (
        report.exists()
        and report.parent.parent == tmp_path / 'reports'
        and (report.parent / 'equity.png').stat().st_size > 10_000
    )
    assert set(out['backtest']) == {'model, top 6', 'heuristic, top 6', 'equal-weight universe'}
    again = json.loads(run('demo', '--trials', '2', '--json', env=env).stdout)
    # the market is reused; two more versions
    assert again['ingest'] is None and again['champion'] in ('v3', 'v4')


def test_ingest_real_file_json(data_dir, tmp_path):
    r = run(
        'ingest',
        str(data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz'),
        '--db',
        str(tmp_path / 'x.duckdb'),
        '--json',
    )
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert (s['rows_read'], s['rows_loaded'], s['rows_rejected']) == (619_040, 619_017, 23)
    assert s['reasons'] == {'ohlc_inconsistent': 12, 'missing_price': 11, 'high_below_low': 1}


def test_strict_refuses_and_loads_nothing(data_dir, tmp_path):
    db = tmp_path / 's.duckdb'
    r = run(
        'ingest',
        str(data_dir / 'us_etfs_stooq_1999_2026.csv.gz'),
        '--db',
        str(db),
        '--strict',
        '--json',
    )
    assert r.returncode == 3 and 'nothing was loaded' in r.stderr
    assert json.loads(r.stdout)['rows_rejected'] == 1
    from quantml.store import read_prices

    assert len(read_prices(db)) == 0


def test_errors_are_one_line_without_traceback(tmp_path):
    bad = tmp_path / 'bad.csv'
    bad.write_text('Date,Open,High,Low,Volume,Name\n2024-01-02,1,2,1,5,X\n')
    r = run('ingest', str(bad), '--db', str(tmp_path / 'e.duckdb'))
    assert (
        r.returncode == 1
        and "required column 'close' missing" in r.stderr
        and 'Traceback' not in r.stderr
    )
    assert run('synth', '--days', 'x').returncode == 2
