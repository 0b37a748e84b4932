"""Property: a value at date t depends only on bars up to t; and nothing crosses between symbols
(the 22 and all 158 of Alpha158)."""

import numpy as np, pandas as pd
from hypothesis import given, settings, strategies as st
from quantml.features import compute_indicators, compute_features
from quantml.alpha158 import compute_alpha158
from quantml.synth import synth_market


def _same(a, b):
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True
    )


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_days=st.integers(2, 160),
    cut=st.integers(1, 159),
    factor=st.floats(0.2, 5.0),
    fn=st.sampled_from([compute_indicators, compute_features, compute_alpha158]),
)
def test_future_bars_never_change_the_past(seed, n_days, cut, factor, fn):
    prices = synth_market(3, n_days, seed=seed, signal=1.0)
    t = prices.date.unique()[min(cut, n_days) - 1]
    full = fn(prices)
    past = full[full.date <= t]
    _same(fn(prices[prices.date <= t]), past)  # future bars appended
    future = prices.date > t
    changed = prices.copy()
    for col in ('open', 'high', 'low', 'close'):
        changed.loc[future, col] *= factor
    changed.loc[future, 'volume'] *= factor * 3
    _same(fn(changed)[lambda d: d.date <= t], past)  # future bars changed


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), order_seed=st.integers(0, 10_000))
def test_symbols_are_independent_whatever_the_row_order(seed, order_seed):
    prices = synth_market(4, 120, seed=seed)
    shuffled = prices.sample(frac=1, random_state=order_seed)
    whole = compute_features(shuffled)
    for sym in prices.symbol.unique():
        _same(whole[whole.symbol == sym], compute_features(prices[prices.symbol == sym]))
    # changing one symbol's prices changes no other symbol's features
    other = prices.assign(close=np.where(prices.symbol == 'SYN000', prices.close * 2, prices.close))
    _same(compute_features(other)[lambda d: d.symbol != 'SYN000'], whole[whole.symbol != 'SYN000'])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), order_seed=st.integers(0, 10_000))
def test_alpha158_symbols_are_independent_whatever_the_row_order(seed, order_seed):
    prices = synth_market(4, 120, seed=seed)
    whole = compute_alpha158(prices.sample(frac=1, random_state=order_seed))
    for sym in prices.symbol.unique():
        _same(whole[whole.symbol == sym], compute_alpha158(prices[prices.symbol == sym]))
