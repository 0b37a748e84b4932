"run_pipeline computes the panel's features once: every later step takes the dataset built from them."
import numpy as np, pytest
import quantml.dataset, quantml.signal, quantml.pipeline, quantml.features
from quantml.store import ingest
from quantml.synth import synth_market
from quantml.signal import HISTORY_BARS

def test_features_are_computed_once(tmp_path, monkeypatch):
    market = synth_market(30, 700, seed=5, signal=1.0)
    ingest(market, tmp_path / 'p.duckdb')
    calls = []
    real = quantml.features.compute_features
    def counting(prices, *a, **k):
        calls.append(len(prices)); return real(prices, *a, **k)
    for mod in (quantml.dataset, quantml.signal, quantml.pipeline): monkeypatch.setattr(mod, 'compute_features', counting)
    res = quantml.pipeline.run_pipeline(tmp_path / 'p.duckdb', tmp_path / 'models', trials=2, n_windows=2, num_threads=2)
    assert calls.count(len(market)) == 1, calls                                    # the panel, once
    serving = [n for n in calls if n != len(market)]
    assert len(serving) == 1 and serving[0] <= 30 * HISTORY_BARS, calls            # and one read of the serving windows
    assert len(res['dataset']) > 0 and res['registry'].list_versions()['total'] == 2
