"Ingest of the real data sets in ../shared/data: every known fault rejected by name, no row lost."

import pandas as pd, pytest
from quantml.store import ingest, read_prices, read_rejected, list_symbols

NAN_OPENS = [
    ('BHF', '2017-07-26'),
    ('DHR', '2015-07-17'),
    ('ES', '2015-07-17'),
    ('O', '2015-07-17'),
    ('DHR', '2016-01-12'),
    ('O', '2016-01-12'),
    ('FTV', '2016-07-01'),
    ('UA', '2016-04-07'),
    ('REGN', '2015-06-09'),
    ('VRTX', '2015-05-12'),
    ('WRK', '2015-06-26'),
]
ZERO_VOLUME_PLACEHOLDERS = [
    ('DHR', '2016-01-12'),
    ('O', '2016-01-12'),
    ('FTV', '2016-07-01'),
    ('UA', '2016-04-07'),
]
OHLC_INCONSISTENT = [
    ('AOS', '2014-05-19'),
    ('BBY', '2016-03-14'),
    ('CHK', '2014-06-30'),
    ('DHR', '2014-11-06'),
    ('IP', '2014-07-01'),
    ('O', '2014-08-27'),
    ('O', '2014-11-06'),
    ('UA', '2016-06-10'),
    ('WRK', '2016-05-13'),
    ('CHD', '2014-05-19'),
    ('LNT', '2016-05-19'),
    ('SPG', '2014-05-28'),
]


@pytest.fixture(scope='module')
def sp500(data_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp('sp') / 'sp.duckdb'
    path = data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    return db, path, ingest(path, db)


def _rejected(db):
    r = read_rejected(db)
    return {
        (s, d): (reason, detail, vol)
        for s, d, reason, detail, vol in r[
            ['symbol', 'date', 'reason', 'detail', 'volume']
        ].itertuples(index=False)
    }


def test_sp500_loads_without_losing_a_row(sp500):
    db, path, s = sp500
    assert s.rows_read == 619_040
    assert s.rows_loaded + s.rows_rejected == s.rows_read
    assert s.rows_rejected == len(set(NAN_OPENS) | set(OHLC_INCONSISTENT)) == 23
    assert s.reasons == {'ohlc_inconsistent': 12, 'missing_price': 11, 'high_below_low': 1}
    assert len(read_prices(db)) == s.rows_loaded


def test_nan_opens_rejected_as_missing_price(sp500):
    rej = _rejected(sp500[0])
    for key in NAN_OPENS:
        assert 'missing_price' in rej[key][0].split(';'), key
        assert 'open is missing' in rej[key][1], key


def test_zero_volume_placeholders_rejected(sp500):
    rej = _rejected(sp500[0])
    for key in ZERO_VOLUME_PLACEHOLDERS:
        reason, detail, volume = rej[key]
        assert reason == 'missing_price' and float(volume) == 0, key
    stored = read_prices(sp500[0])
    # in this file, the only zero volumes are the placeholders
    assert not (stored.volume == 0).any()


def test_ohlc_inconsistent_rows_rejected_with_what_is_wrong(sp500):
    rej = _rejected(sp500[0])
    for key in OHLC_INCONSISTENT:
        assert 'ohlc_inconsistent' in rej[key][0].split(';'), key
    assert rej[('CHD', '2014-05-19')][1] == 'low 33.695 is above min(open, close) 18.77'
    assert rej[('LNT', '2016-05-19')][1] == 'low 35.085 is above min(open, close) 17.87'
    assert rej[('AOS', '2014-05-19')][0] == 'high_below_low;ohlc_inconsistent'


def test_rejected_rows_point_at_their_line(sp500):
    db, path, _ = sp500
    r = read_rejected(db).set_index(['symbol', 'date'])
    # row_no counts data rows from 1, so line = row_no + 1
    raw = pd.read_csv(path, dtype=str)
    for key in [('AOS', '2014-05-19'), ('SPG', '2014-05-28'), ('WRK', '2016-05-13')]:
        row = raw.iloc[int(r.loc[key, 'row_no']) - 1]
        assert (row.symbol, row.date) == key


def test_reload_is_idempotent(sp500):
    db, path, first = sp500
    again = ingest(path, db)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (
        0,
        0,
        first.rows_loaded,
    )
    assert len(read_rejected(db)) == first.rows_rejected  # replaced, not doubled


def test_coverage_shows_known_gaps(sp500):
    cov = list_symbols(sp500[0]).set_index('symbol')
    assert len(cov) == 505
    assert cov.loc['AAPL', 'rows'] == 1259 and cov.loc['AAPL', 'gaps'] == 0
    assert cov.loc['APTV', 'rows'] == 44
    assert cov.loc['ORCL', 'gaps'] == 2 and cov.loc['BMY', 'gaps'] == 2


def test_etf_file_loads_and_rejects_the_zero_open(data_dir, tmp_path):
    db = tmp_path / 'etf.duckdb'
    s = ingest(data_dir / 'us_etfs_stooq_1999_2026.csv.gz', db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (170_955, 170_954, 1)
    assert s.reasons == {'non_positive_price': 1}
    assert s.examples[0]['symbol'] == 'EFV' and s.examples[0]['date'] == '2005-10-10'
    cov = list_symbols(db).set_index('symbol')
    assert cov.loc['SPY', 'gaps'] == 1  # 2011-02-17, missing for every ETF except QQQ
    assert cov.loc['QQQ', 'gaps'] == 0
    assert cov.loc['LQD', 'gaps'] == 4 and cov.loc['MCHI', 'gaps'] == 9
    vol = read_prices(db, 'AGG').volume
    assert (vol != vol.round()).any()  # fractional volumes survive (volume is DOUBLE)


def test_index_file_loads_whole(data_dir, tmp_path):
    s = ingest(data_dir / 'arch_indexes_1999_2018.csv.gz', tmp_path / 'ix.duckdb')
    # volume 0 on an index is allowed
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (10_062, 10_062, 0)


# --- flags: loaded, but doubtful (issue 17)
# true drops (spin-offs, a special dividend): not splits
SPIN_OFFS = [
    ('BAX', '2015-07-01'),
    ('EBAY', '2015-07-20'),
    ('NI', '2015-07-02'),
    ('YUM', '2016-11-01'),
    ('ARNC', '2016-11-01'),
    ('BHGE', '2017-07-05'),
]


def _flags(db):
    from quantml.store import _using

    with _using(db, read_only=True) as con:
        rows = con.execute(
            "SELECT symbol, CAST(date AS VARCHAR), flag, value FROM price_flags"
        ).fetchall()
    return {(s, d, f): v for s, d, f, v in rows}


def test_unadjusted_splits_flagged_with_their_ratio(sp500):
    flags = _flags(sp500[0])
    splits = {(s, d): v for (s, d, f), v in flags.items() if f == 'suspected_split'}
    assert splits == {('DISCA', '2014-08-07'): 2.0, ('DISCK', '2014-08-07'): 2.0}
    assert sp500[2].flags['suspected_split'] == 2


def test_spin_offs_are_jumps_not_splits(sp500):
    flags = _flags(sp500[0])
    for s, d in SPIN_OFFS:
        assert (s, d, 'suspected_split') not in flags, (s, d)
        # YUM fell 30%, less than the jump size (a third)
        assert ((s, d, 'suspect_jump') in flags) == (s != 'YUM'), (s, d)


def test_single_day_glitches(sp500):
    db = sp500[0]
    flags = _flags(db)
    assert flags[('NWL', '2017-09-14', 'glitch')] == pytest.approx(30.81 / 44.22)
    # the move back is not a second fault
    assert not any(s == 'NWL' and d == '2017-09-15' for s, d, f in flags)
    # LNT's halved close is below its low: rejected outright
    assert 'ohlc_inconsistent' in _rejected(db)[('LNT', '2016-05-19')][0]
    assert not any(s == 'LNT' for s, d, f in flags)


def test_adjust_splits_on_the_real_file(data_dir, tmp_path):
    from quantml.store import _using

    db = tmp_path / 'adj.duckdb'
    s = ingest(data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz', db, adjust_splits=True)
    assert sorted((a['symbol'], a['date'], a['ratio']) for a in s.splits_adjusted) == [
        ('DISCA', '2014-08-07', 2.0),
        ('DISCK', '2014-08-07', 2.0),
    ]
    assert 'suspected_split' not in s.flags
    p = read_prices(db, ['DISCA', 'DISCK']).set_index(['symbol', 'date']).close
    for sym in ('DISCA', 'DISCK'):
        move = p[sym][pd.Timestamp('2014-08-07')] / p[sym][pd.Timestamp('2014-08-06')]
        # no -50% day left
        assert 0.95 < move < 1.05, (sym, move)
    with _using(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM split_adjustments").fetchone()[0] == 2
    # the raw file again: adjusted again, same result
    again = ingest(data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz', db, adjust_splits=True)
    assert read_prices(db, ['DISCA']).close.iloc[0] == pytest.approx(p['DISCA'].iloc[0])


@pytest.fixture(scope='module')
def us_panel(data_dir, tmp_path_factory):
    path = data_dir / 'us_stocks_2005_2017_a.csv.gz'
    if not path.exists():
        pytest.skip(f"the 12-year US panel is not at {path}")
    db = tmp_path_factory.mktemp('us') / 'us.duckdb'
    return db, ingest(path, db)


def test_us_panel_loads_as_it_is(us_panel):
    """The 12-year panel once refused all 2.5M rows over one NULL flag detail; every row is now
    loaded, rejected or flagged."""
    import duckdb

    db, s = us_panel
    assert s.rows_read == 2_542_131 and s.rows_loaded + s.rows_rejected == s.rows_read
    assert s.reasons == {'ohlc_inconsistent': 24, 'high_below_low': 7, 'non_positive_price': 1}
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM daily_prices").fetchall()[0][0] == s.rows_loaded
        assert (
            con.sql(
                "SELECT count(*) FROM price_flags WHERE detail IS NULL OR detail = ''"
            ).fetchall()[0][0]
            == 0
        )
        ice = dict(
            con.sql(
                "SELECT flag, CAST(date AS VARCHAR) FROM price_flags WHERE symbol = 'ICE' AND "
                "date <= DATE '2005-11-16'"
            ).fetchall()
        )
    # ICE's first bar is a flat placeholder with no volume before a +51% first trading day: a jump,
    # not a 2:3 split
    assert ice == {
        'flat_bar': '2005-11-15',
        'zero_volume': '2005-11-15',
        'suspect_jump': '2005-11-16',
    }, ice


def test_us_panel_has_no_split_to_act_on(us_panel):
    """The panel is adjusted, so every suspected split in it is false: none may be high or medium,
    which --adjust-splits would act on."""
    import duckdb

    with duckdb.connect(str(us_panel[0]), read_only=True) as con:
        splits = con.sql(
            "SELECT symbol, CAST(date AS VARCHAR), detail FROM price_flags WHERE flag = "
            "'suspected_split'"
        ).fetchall()
    conf = {(s, d): detail.split('confidence ')[1].split(':')[0] for s, d, detail in splits}
    assert set(conf.values()) <= {'low'}, conf
    assert (
        'news trades through the day'
        in dict(((s, d), t) for s, d, t in splits)[('TAHO', '2017-07-06')]
    )
    assert 'not out of its way' in dict(((s, d), t) for s, d, t in splits)[('LVS', '2008-11-06')]
    # a flat placeholder with no volume, then back: no split
    assert ('RRD', '2010-04-26') not in conf
