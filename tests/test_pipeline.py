"""run_pipeline computes the panel's features once: every later step takes the dataset built from
them."""

import pytest
import quantml.dataset, quantml.pipeline
from quantml.store import ingest
from quantml.synth import synth_market
import quantml.serving
from quantml.serving import HISTORY_BARS


@pytest.mark.parametrize('features,feature_norm', [('seed22', None), ('alpha158', 'robust')])
def test_features_are_computed_once(tmp_path, monkeypatch, features, feature_norm):
    market = synth_market(30, 700, seed=5, signal=1.0)
    ingest(market, tmp_path / 'p.duckdb')
    calls = {'compute_features': [], 'compute_alpha158': [], '_kernel_rows': []}
    # every feature computation goes through quantml.dataset's names, or serving's (the kernel's
    # rows of each symbol's last bar of the seed's 22)
    for module, name in [
        (quantml.dataset, 'compute_features'),
        (quantml.dataset, 'compute_alpha158'),
        (quantml.serving, '_kernel_rows'),
    ]:
        real = getattr(module, name)

        def counting(prices, *a, _real=real, _name=name, **k):
            calls[_name].append(len(prices))
            return _real(prices, *a, **k)

        monkeypatch.setattr(module, name, counting)
    res = quantml.pipeline.run_pipeline(
        tmp_path / 'p.duckdb',
        tmp_path / 'models',
        features=features,
        feature_norm=feature_norm,
        trials=2,
        n_windows=2,
        num_threads=2,
    )
    panel = {k: v.count(len(market)) for k, v in calls.items()}
    serving = {k: [n for n in v if n != len(market)] for k, v in calls.items()}
    # the panel once (the heuristic always reads the 22, so an alpha158 run computes both), and one
    # read of the serving windows
    assert panel == {
        'compute_features': 1,
        'compute_alpha158': int(features != 'seed22'),
        '_kernel_rows': 0,
    }, calls
    served = '_kernel_rows' if features == 'seed22' else 'compute_alpha158'
    assert len(serving[served]) == 1 and serving[served][0] <= 30 * HISTORY_BARS, calls
    assert len(res['dataset']) > 0 and res['registry'].list_versions()['total'] == 2
    assert (
        res['dataset'].provenance['feature_set'] == features
        and res['champion_model'].feature_set == features
    )
    assert (res['champion_model'].feature_norm is not None) == (feature_norm is not None)
