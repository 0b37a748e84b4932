"""The leakage canary: on a random walk the trainer finds nothing; with the planted signal it finds it;
the seed's shuffled split on raw dollar indicators manufactures a signal out of noise."""
import numpy as np, pytest
from quantml.synth import synth_market
from quantml.trainer import train_model, leaky_auc

@pytest.fixture(scope='module')
def walk(): return synth_market(60, 1500, seed=11, signal=0.0)

@pytest.mark.parametrize('seed', [11, 12])
def test_random_walk_gives_nothing(seed):
    m = train_model(synth_market(60, 1500, seed=seed, signal=0.0), cv_folds=0, num_threads=2)
    assert abs(m.metrics['auc'] - 0.5) <= 0.03, m.metrics
    assert abs(m.metrics['ic']) <= 0.03 and abs(m.metrics['rank_ic']) <= 0.03, m.metrics
    assert m.metrics['ic_method'] == 'per_date'

def test_planted_signal_is_found_well_outside_the_random_walk_band():
    # signal strength 1 (the synthetic market's documented planted mean reversion): clear of the 0.5 +/- 0.03 band
    m = train_model(synth_market(60, 1500, seed=11, signal=1.0), cv_folds=0, num_threads=2)
    assert m.metrics['auc'] >= 0.56 and m.metrics['ic'] >= 0.08, m.metrics

def test_shuffled_split_on_raw_indicators_inflates_auc(walk):
    leaky = leaky_auc(walk, raw=True, shuffled=True, num_threads=2)
    honest = leaky_auc(walk, raw=True, shuffled=False, num_threads=2)
    assert leaky > 0.6 and abs(honest - 0.5) <= 0.03 and leaky - honest > 0.08, (leaky, honest)

def test_no_training_label_reaches_into_test(walk):
    m = train_model(walk, cv_folds=2, num_threads=2, baselines=False)
    s = m.split
    assert s['train'][1] < s['valid'][0] < s['valid'][1] < s['test'][0]
    assert m.split['rows']['purged'] == 60 * 2 * (5 + 5)   # per symbol and boundary: horizon + embargo
