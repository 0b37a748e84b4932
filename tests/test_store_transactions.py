"""A load is one transaction; readers in several processes at once; a writer is refused clearly
while they read."""

import multiprocessing as mp, subprocess, sys
import pandas as pd, pytest
import quantml.store as store
from quantml.core import QuantmlError
from quantml.store import ingest, read_prices, open_db
from quantml.synth import synth_market


def _snapshot(db):
    with store._using(db, read_only=True) as con:
        return (
            con.execute("SELECT * FROM daily_prices ORDER BY ALL").df(),
            con.execute("SELECT * FROM rejected_prices ORDER BY ALL").df(),
        )


def test_failure_after_first_insert_changes_nothing(tmp_path, monkeypatch):
    db = tmp_path / 'p.duckdb'
    ingest(synth_market(3, 50, seed=1), db)  # SYN000..SYN002 already stored
    before = _snapshot(db)
    update = synth_market(3, 50, seed=2)  # changes every stored value ...
    # ... and brings two new symbols
    extra = synth_market(5, 50, seed=3).query("symbol >= 'SYN003'")
    real = store._insert_sql

    # the new-symbol insert succeeds, the upsert fails
    def failing(any_dups, new_symbols):
        return (
            real(any_dups, new_symbols)
            if new_symbols
            else "SELECT no_such_column FROM daily_prices"
        )

    monkeypatch.setattr(store, '_insert_sql', failing)
    # the cause, in one line
    with pytest.raises(
        QuantmlError, match="the load failed and nothing was stored .*no_such_column"
    ):
        ingest([update, extra.assign(close=extra.close.where(extra.index % 7 != 0))], db)
    after = _snapshot(db)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def _reader(db, q):
    try:
        q.put(len(read_prices(db)))
    except Exception as e:
        q.put(repr(e))


def test_several_processes_read_at_once(tmp_path):
    db = tmp_path / 'r.duckdb'
    ingest(synth_market(4, 100, seed=0), db)
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    procs = [ctx.Process(target=_reader, args=(str(db), q)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == [400] * 4


def test_writer_is_refused_clearly_while_another_process_holds_the_file(tmp_path):
    db = tmp_path / 'w.duckdb'
    ingest(synth_market(2, 30, seed=0), db)
    holder = subprocess.Popen(
        [
            sys.executable,
            '-c',
            f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('open', "
            "flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == 'open'
        with pytest.raises(QuantmlError, match='in use by another process'):
            ingest(synth_market(2, 30, seed=1), db)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert ingest(synth_market(2, 30, seed=1), db).rows_updated > 0  # free again
