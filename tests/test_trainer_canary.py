"""The canaries, for every label family and objective: on a random walk the trainer finds no
direction; with the planted signal every family finds it; on a market whose only structure is
volatility, the threshold label's AUC rises while its directional rank IC stays at zero, and the
signal service gives that model no buy or sell call. The seed's shuffled split on raw dollar
indicators still manufactures a signal out of noise."""

import numpy as np, pandas as pd, pytest
from quantml.synth import synth_market
from quantml.features import compute_features
from quantml.dataset import LabelSpec, build_dataset
from quantml.trainer import train_model, leaky_auc
from quantml.store import ingest
from quantml.registry import ModelRegistry
from quantml.serving import SignalService

COMBOS = [
    ('threshold', 'binary'),
    ('excess', 'binary'),
    ('rank', 'regression'),
    ('rank', 'lambdarank'),
]
# ~190 test dates x 500 symbols: the s.e. of a noise model's mean rank IC is about 0.006
N_SYMBOLS, N_DAYS = 500, 1000

_cache = {}


def _market(kind):
    if kind not in _cache:
        prices = synth_market(
            N_SYMBOLS,
            N_DAYS,
            seed=21,
            signal=1.0 if kind == 'planted' else 0.0,
            volatility_only=kind == 'volatility',
        )
        _cache[kind] = (prices, compute_features(prices), {})
    return _cache[kind]


def _model(kind, family, objective):
    prices, feats, models = _market(kind)
    if (family, objective) not in models:
        models[family, objective] = train_model(
            build_dataset(prices, LabelSpec(family), computed=feats),
            objective=objective,
            cv_folds=0,
            num_threads=2,
        )
    return models[family, objective]


@pytest.mark.parametrize('family,objective', COMBOS)
def test_random_walk_gives_no_direction(family, objective):
    m = _model('walk', family, objective)
    assert m.metrics['ic_method'] == 'per_date' and abs(m.metrics['rank_ic']) < 0.02, m.metrics
    # AUC only where the label has no volatility in it
    if family == 'excess':
        assert abs(m.metrics['auc'] - 0.5) <= 0.03, m.metrics


@pytest.mark.parametrize('family,objective', COMBOS)
def test_planted_signal_is_found_by_every_family(family, objective):
    m = _model('planted', family, objective)
    # far outside the random-walk band
    assert m.metrics['rank_ic'] > 0.08 and m.metrics['rank_ic_t'] > 5, m.metrics
    assert m.skill['rank_ic'] > 0.05 and m.skill['t'] >= 2 and m.degenerate is None, m.skill


@pytest.mark.parametrize('family,objective', COMBOS)
def test_volatility_is_never_sold_as_direction(family, objective, tmp_path):
    m = _model('volatility', family, objective)
    assert abs(m.metrics['rank_ic']) < 0.02, m.metrics
    # it does forecast the size of the move
    if family == 'threshold':
        assert m.metrics['auc'] > 0.55, m.metrics
    if family == 'excess':
        assert abs(m.metrics['auc'] - 0.5) <= 0.03, m.metrics
    # the cross-sectional families find nothing (above); the volatility forecast must not be sold:
    if family != 'threshold':
        return
    prices = _market('volatility')[0]
    db = tmp_path / 'vol.duckdb'
    ingest(prices[prices.symbol < 'SYN060'], db)
    reg = ModelRegistry(tmp_path / 'models')
    reg.save(m)
    with SignalService(db, reg) as svc:
        uni = svc.score_universe()
    assert set(uni.recommendation) == {'hold'}, (m.skill, uni.recommendation.value_counts())
    assert (uni.source == 'ml').all() and uni.recommendation_reason.str.startswith(
        'no_directional_skill'
    ).all()


def test_shuffled_split_on_raw_indicators_inflates_auc():
    walk = synth_market(60, 1500, seed=11, signal=0.0)
    leaky = leaky_auc(walk, raw=True, shuffled=True, num_threads=2)
    honest = leaky_auc(walk, raw=True, shuffled=False, num_threads=2)
    assert leaky > 0.6 and leaky - honest > 0.05, (leaky, honest)


def test_no_training_label_reaches_into_test():
    m = train_model(
        synth_market(60, 600, seed=11),
        LabelSpec('excess'),
        cv_folds=2,
        num_threads=2,
        baselines=False,
    )
    s = m.split
    assert s['train'][1] < s['valid'][0] < s['valid'][1] < s['test'][0]
    assert s['valid_stop'][1] < s['valid_skill'][0]
    # per symbol and boundary: the h + 1 bars the next-open label spans, plus the embargo (h)
    assert m.split['rows']['purged'] == 60 * 2 * (5 + 1 + 5)
