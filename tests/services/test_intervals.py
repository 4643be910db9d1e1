"""Wilson's interval of a rate and Newcombe's interval of a difference of two rates."""

from __future__ import annotations

import pytest

from django_tryon.services.intervals import MIN_SAMPLE, newcombe, wilson


def test_wilson_matches_the_published_values():
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662; 0/10 -> 0 to 0.2775.
    interval = wilson(81, 263)
    assert interval.low == pytest.approx(0.2553, abs=1e-4)
    assert interval.high == pytest.approx(0.3662, abs=1e-4)
    empty = wilson(0, 10)
    assert empty.low == 0
    assert empty.high == pytest.approx(0.2775, abs=1e-4)


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), method 10, example (a): 56/70 - 48/80 -> 0.0524 to 0.3339.
    difference = newcombe(56, 70, 48, 80)
    assert difference.difference == pytest.approx(0.2)
    assert difference.interval.low == pytest.approx(0.0524, abs=1e-4)
    assert difference.interval.high == pytest.approx(0.3339, abs=1e-4)
    assert difference.is_clear


def test_an_interval_across_zero_is_not_a_clear_difference():
    difference = newcombe(10, 100, 8, 100)
    assert difference.interval.low < 0 < difference.interval.high
    assert not difference.is_clear


def test_below_the_minimum_sample_there_is_no_interval():
    small = newcombe(5, MIN_SAMPLE - 1, 1, 500)
    assert small.difference == pytest.approx(5 / (MIN_SAMPLE - 1) - 1 / 500)
    assert small.interval is None and not small.enough_data
    assert newcombe(0, 0, 3, 40).difference is None


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson(3, 2)
    with pytest.raises(ValueError):
        wilson(0, 0)
