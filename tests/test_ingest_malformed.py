"""Hostile and broken files through `quantml ingest`: for each, the exit code, one line on stderr or
a named rejection reason, never a traceback; the store unchanged where the load failed; loaded +
rejected = read where it succeeded."""

import contextlib, gzip, io, json, os, shutil, subprocess, sys
import duckdb, numpy as np, pandas as pd, pytest
from quantml.cli import main

HEAD = "symbol,date,open,high,low,close,volume\n"
ROW = "AAA,2024-01-{:02d},10,11,9,10.5,1000\n"
GOOD = HEAD + ''.join(ROW.format(d) for d in (2, 3, 4, 5, 8))


def _w(text, name='f.csv', mode='t'):
    def make(tmp):
        p = tmp / name
        (p.write_text(text, encoding='utf-8') if mode == 't' else p.write_bytes(text))
        return p

    return make


def _gz(text, cut=None):
    def make(tmp):
        z = gzip.compress(text.encode())
        p = tmp / 'f.csv.gz'
        p.write_bytes(z[:cut] if cut else z)
        return p

    return make


def _parquet(frame_fn, cut=None, name='f.parquet'):
    def make(tmp):
        p = tmp / name
        frame_fn().to_parquet(p)
        if cut:
            p.write_bytes(p.read_bytes()[:cut])
        return p

    return make


def _frame(**over):
    d = pd.DataFrame(
        {
            'symbol': 'PQ',
            'date': pd.bdate_range('2024-02-01', periods=3),
            'open': 1.0,
            'high': 2.0,
            'low': 0.5,
            'close': 1.5,
            'volume': 10.0,
        }
    )
    return d.assign(**over)


LONG = HEAD + ''.join(
    f"LNG,{d.date()},1,2,1,1,5\n" for d in pd.bdate_range('2000-01-03', periods=5000)
)

# (name, maker, expected): ('loads', reasons that must appear) or ('fails', text the one line must
# contain)
CASES = [
    # lines that do not fit the header: each rejected alone, the rest loads
    ('too few fields', _w(GOOD + "AAA,2024-01-09,1,2,1\n"), ('loads', {'malformed_line'})),
    ('too many fields', _w(GOOD + "AAA,2024-01-09,1,2,1,1,5,9\n"), ('loads', {'malformed_line'})),
    ('unterminated quote', _w(GOOD + 'AAA,"2024-01-09,1,2,1,1,5\n'), ('loads', {'malformed_line'})),
    (
        'a Latin-1 byte',
        _w((GOOD + "A\xe9A,2024-01-09,1,2,1,1,5\n").encode('latin-1'), mode='b'),
        ('loads', {'malformed_line'}),
    ),
    (
        'a 30 MB field',
        _w(GOOD + "AAA,2024-01-09,1,2,1,1," + "9" * (30 << 20) + "\n"),
        ('loads', {'malformed_line'}),
    ),
    (
        "a 50 MB field, past the reader's buffer (it used to vanish)",
        _w(GOOD + "AAA,2024-01-09,1,2,1,1," + "9" * (50 << 20) + "\n"),
        ('loads', {'malformed_line'}),
    ),
    ('whitespace-only line', _w(GOOD + "   \n" + ROW.format(9)), ('loads', {'malformed_line'})),
    # files that cannot be read at all: one line, nothing loaded
    ('truncated gzip', _gz(LONG, cut=6000), ('fails', 'Unexpected end of GZIP stream')),
    ('plain text named .gz', _w(GOOD, name='f.csv.gz'), ('fails', 'f.csv.gz')),
    ('empty file', _w(''), ('fails', 'the file is empty')),
    ('blank first line', _w("\n" + GOOD), ('fails', 'the first line is blank')),
    (
        'a directory',
        lambda tmp: (tmp / 'adir.csv').mkdir() or tmp / 'adir.csv',
        ('fails', 'a directory'),
    ),
    ('/dev/null', lambda tmp: '/dev/null', ('fails', 'not a regular file')),
    ('no such file', lambda tmp: tmp / 'missing.csv', ('fails', 'no such file')),
    (
        'binary garbage',
        _w(bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)), mode='b'),
        ('fails', 'f.csv'),
    ),
    (
        'no close column',
        _w("symbol,date,open,high,low,volume\nAAA,2024-01-02,1,2,1,5\n"),
        ('fails', "required column 'close' missing"),
    ),
    (
        'repeated column',
        _w("symbol,date,open,open,high,low,close,volume\nAAA,2024-01-02,1,1,2,1,1,5\n"),
        ('fails', 'repeated column names'),
    ),
    ('one-column header', _w("symbol\nAAA\n"), ('fails', 'required columns')),
    ('unsupported type', _w(GOOD, name='f.xlsx'), ('fails', 'unsupported file type')),
    ('CSV text named .parquet', _w(GOOD, name='f.parquet'), ('fails', 'cannot read')),
    ('truncated parquet', _parquet(_frame, cut=200), ('fails', 'cannot read')),
    (
        'dates none can read',
        _w(HEAD + "AAA,01/02/2019,1,2,1,1,5\nAAA,01/03/2019,1,2,1,1,5\n"),
        ('fails', 'no date could be read'),
    ),
    # rows that parse but cannot be right: rejected by name
    ('a BC date', _w(GOOD + "AAA,-2020-01-02,1,2,1,1,5\n"), ('loads', {'implausible_date'})),
    ('1899', _w(GOOD + "AAA,1899-12-29,1,2,1,1,5\n"), ('loads', {'implausible_date'})),
    ('9999-12-31', _w(GOOD + "AAA,9999-12-31,1,2,1,1,5\n"), ('loads', {'future_date'})),
    ('2099', _w(GOOD + "AAA,2099-06-01,1,2,1,1,5\n"), ('loads', {'future_date'})),
    ('impossible day', _w(GOOD + "AAA,2013-02-30,1,2,1,1,5\n"), ('loads', {'unparsable_date'})),
    ('empty date', _w(GOOD + "AAA,,1,2,1,1,5\n"), ('loads', {'unparsable_date'})),
    ('high 1e308', _w(GOOD + "AAA,2024-01-09,1,1e308,1,1,5\n"), ('loads', {'implausible_price'})),
    (
        'a 1e-300 bar',
        _w(GOOD + "AAA,2024-01-09,1e-300,1e-300,1e-300,1e-300,5\n"),
        ('loads', {'implausible_price'}),
    ),
    (
        'open 1e-320',
        _w(GOOD + "AAA,2024-01-09,1e-320,2,1e-320,1,5\n"),
        ('loads', {'implausible_price'}),
    ),
    ('NaN close', _w(GOOD + "AAA,2024-01-09,1,2,1,nan,5\n"), ('loads', {'missing_price'})),
    ('infinite high', _w(GOOD + "AAA,2024-01-09,1,inf,1,1,5\n"), ('loads', {'missing_price'})),
    (
        'negative price',
        _w(GOOD + "AAA,2024-01-09,-1,2,-1,1,5\n"),
        ('loads', {'non_positive_price'}),
    ),
    (
        'thousands separator',
        _w(GOOD + 'AAA,2024-01-09,"1,234.5",1300,1200,1250,5\n'),
        ('loads', {'missing_price'}),
    ),
    ('negative volume', _w(GOOD + "AAA,2024-01-09,1,2,1,1,-5\n"), ('loads', {'negative_volume'})),
    (
        'volume 1e300',
        _w(GOOD + "AAA,2024-01-09,1,2,1,1,1e300\n"),
        ('loads', {'implausible_volume'}),
    ),
    ('empty symbol', _w(GOOD + ",2024-01-09,1,2,1,1,5\n"), ('loads', {'missing_symbol'})),
    ('duplicate rows', _w(GOOD + ROW.format(9) + ROW.format(9)), ('loads', {'duplicate_key'})),
    ('high below low', _w(GOOD + "AAA,2024-01-09,1,1,2,1,5\n"), ('loads', {'high_below_low'})),
    # layouts that are fine
    ('semicolons', _w(GOOD.replace(',', ';')), ('loads', set())),
    ('tabs', _w(GOOD.replace(',', '\t'), name='f.tsv'), ('loads', set())),
    ('a byte-order mark', _w(('\ufeff' + GOOD).encode('utf-8'), mode='b'), ('loads', set())),
    ('CRLF line ends', _w(GOOD.replace('\n', '\r\n')), ('loads', set())),
    ('no final newline', _w(GOOD.rstrip('\n')), ('loads', set())),
    ('header only', _w(HEAD), ('loads', set())),
    (
        'Tokyo timestamps',
        _parquet(
            lambda: _frame(
                date=pd.to_datetime(
                    ['2024-02-01 08:00', '2024-02-02 08:00', '2024-02-05 08:00']
                ).tz_localize('Asia/Tokyo')
            )
        ),
        ('loads', set()),
    ),
]


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def _snapshot(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(
            con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ('daily_prices', 'rejected_prices', 'price_flags')
        )


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp('base')
    (d / 'good.csv').write_text(GOOD.replace('AAA', 'BASE'))
    assert _run('ingest', d / 'good.csv', '--db', d / 'base.duckdb')[0] == 0
    return d / 'base.duckdb'


def test_there_are_at_least_40_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize('name,make,expected', CASES, ids=[c[0] for c in CASES])
def test_ingest_of_a_hostile_file(base, tmp_path, name, make, expected):
    db = tmp_path / 'store.duckdb'
    shutil.copy(base, db)
    before = _snapshot(db)
    code, out, err = _run('ingest', make(tmp_path), '--db', db, '--json')
    assert 'Traceback' not in err + out
    if expected[0] == 'fails':
        assert code == 1, (code, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected[1] in lines[0], err
        assert _snapshot(db) == before
    else:
        assert code == 0, (code, err)
        s = json.loads(out)
        assert s['rows_loaded'] + s['rows_rejected'] == s['rows_read'], s
        assert expected[1] <= set(s['reasons']), s['reasons']
        if not expected[1]:
            assert s['rows_rejected'] == 0 and s['rows_loaded'] == s['rows_read'], s


# --- failures of the store itself, each in a process of its own: one line, exit 1, nothing
# half-written


def _cli(*argv, pre='', env=None):
    code = (
        pre
        + f"import sys; from quantml.cli import main; sys.exit(main({[str(a) for a in argv]!r}))"
    )
    return subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def _one_line(r, text):
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert (
        'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1 and text in r.stderr
    ), r.stderr


def test_a_damaged_database(tmp_path):
    (tmp_path / 'good.csv').write_text(GOOD)
    db = tmp_path / 'damaged.duckdb'
    db.write_bytes(
        b'DUCK' + bytes(np.random.default_rng(1).integers(0, 256, 100_000, dtype=np.uint8))
    )
    for args in (('ingest', tmp_path / 'good.csv'), ('check',)):
        _one_line(_cli(*args, '--db', db), 'damaged')


def test_a_database_path_that_is_a_directory(tmp_path):
    (tmp_path / 'good.csv').write_text(GOOD)
    _one_line(_cli('ingest', tmp_path / 'good.csv', '--db', tmp_path), 'a directory')


def test_a_lock_held_by_another_process(tmp_path):
    (tmp_path / 'good.csv').write_text(GOOD)
    db = tmp_path / 'locked.duckdb'
    assert _cli('ingest', tmp_path / 'good.csv', '--db', db).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            '-c',
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == 'held'
        _one_line(
            _cli('ingest', tmp_path / 'good.csv', '--db', db, '--wait', '0'),
            'in use by another process',
        )
    finally:
        holder.kill()
        holder.wait()


def test_a_full_disk_reports_the_cause_and_the_next_load_works(tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: writes past the limit fail with 'File too large', as
    they would with ENOSPC."""
    big = tmp_path / 'big.csv'
    days = pd.bdate_range('2000-01-03', periods=1300)
    # values that do not compress away
    px = np.random.default_rng(0).uniform(10, 20, 300 * len(days))
    pd.DataFrame(
        {
            'symbol': np.repeat([f'S{i:03d}' for i in range(300)], len(days)),
            'date': np.tile(days, 300),
            'open': px,
            'high': px * 1.01,
            'low': px * 0.99,
            'close': px,
            'volume': px * 1000,
        }
    ).to_csv(big, index=False)
    db = tmp_path / 'full.duckdb'
    (tmp_path / 'good.csv').write_text(GOOD)
    assert _cli('ingest', tmp_path / 'good.csv', '--db', db).returncode == 0
    before = _snapshot(db)
    limit = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
             f"resource.setrlimit(resource.RLIMIT_FSIZE, ({db.stat().st_size + (256 << 10)}, "
             "resource.RLIM_INFINITY)); ")
    r = _cli('ingest', big, '--db', db, pre=limit)
    _one_line(r, 'nothing was stored')
    assert 'rollback' not in r.stderr.lower()
    assert _snapshot(db) == before  # all or nothing
    # the next load is not told "cannot rollback"
    again = _cli('ingest', tmp_path / 'good.csv', '--db', db)
    assert again.returncode == 0, again.stderr
