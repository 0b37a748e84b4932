"Property: whatever faults a frame has, no row is lost and exactly the valid rows are stored."

import numpy as np, pandas as pd
from hypothesis import given, settings, HealthCheck, strategies as st
from quantml.store import ingest, read_prices, read_rejected

FAULTS = [
    'none',
    'nan_open',
    'zero_close',
    'high_below_low',
    'neg_volume',
    'bad_date',
    'no_symbol',
    'duplicate',
]


@st.composite
def frames(draw):
    n = draw(st.integers(1, 30))
    faults = draw(st.lists(st.sampled_from(FAULTS), min_size=n, max_size=n))
    days = pd.bdate_range('2024-01-01', periods=n)
    rows = []
    for i, f in enumerate(faults):
        o, c = draw(st.floats(1, 100)), draw(st.floats(1, 100))
        r = dict(
            symbol=draw(st.sampled_from(['AA', 'BB'])),
            date=str(days[i].date()),
            open=o,
            high=max(o, c) + 1,
            low=min(o, c) / 2,
            close=c,
            volume=draw(st.floats(0, 1e6)),
        )
        if f == 'nan_open':
            r['open'] = np.nan
        if f == 'zero_close':
            r['close'] = 0.0
            r['low'] = 0.0
        if f == 'high_below_low':
            r['high'], r['low'] = r['low'], r['high']
        if f == 'neg_volume':
            r['volume'] = -1.0
        if f == 'bad_date':
            r['date'] = '2024-02-30'
        if f == 'no_symbol':
            r['symbol'] = ''
        rows.append(r)
        if f == 'duplicate':
            rows.append(dict(r, close=r['close'] * 1.01, high=r['high'] * 1.01))
    return pd.DataFrame(rows), faults


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames())
def test_no_row_lost_and_only_valid_rows_stored(tmp_path, case):
    df, faults = case
    db = tmp_path / f'prop{abs(hash(df.to_csv())) % 10**9}.duckdb'
    s = ingest(df, db)
    assert s.rows_read == len(df) and s.rows_loaded + s.rows_rejected == len(df)
    # a duplicate rejects both copies
    n_bad = sum(f != 'none' for f in faults) + faults.count('duplicate')
    assert s.rows_rejected == n_bad
    stored = read_prices(db) if s.rows_loaded else pd.DataFrame()
    assert len(stored) == s.rows_loaded
    if s.rows_loaded:
        assert (stored.high >= stored[['open', 'close', 'low']].max(axis=1)).all()
        assert (stored[['open', 'high', 'low', 'close']] > 0).all().all() and (
            stored.volume >= 0
        ).all()
    rej = read_rejected(db)
    assert len(rej) == s.rows_rejected and (rej.reason != '').all()
