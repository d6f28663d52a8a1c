"""Value rules with the values of a run: `--set`, schedules, control bounds.

The file-default cases have golden messages (tests/fixtures/bad); here the
same rules are applied to values that only exist at run time.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from statc.dsl import StatcError, parse, parse_file
from statc.dsl.semantics import check
from statc.dsl.values import check_values, defaults

MODELS = Path(__file__).resolve().parents[2] / "models"


def _load(name: str):
    m = parse_file(MODELS / f"{name}.model")
    return m, check(m), defaults(m)


def test_literal_index_rechecked_with_a_new_size():
    """saad_solla observes nothing by entry; give it `Q[2,2]` through an observable."""
    text = (MODELS / "saad_solla.model").read_text() + "\nobserve q22 = Q[2,2]\n"
    m = parse(text, "q22.model")
    cm = check(m)                                      # K = 2: fine
    assert [li.value for li in cm.literal_indices] == [2, 2]
    with pytest.raises(StatcError) as info:
        check_values(m, cm.literal_indices, {**defaults(m), "K": 1.0}, {"K"})
    err = info.value
    assert err.filename == "q22.model" and err.span.line == text.count("\n")
    assert "index 2 is out of range 1..K (K = 1)" in err.message and "(from --set)" in err.hint


def test_set_value_points_at_the_use():
    m, cm, values = _load("dropout")
    check_values(m, cm.literal_indices, {**values, "keep": 1.0}, {"keep"})   # the edge is allowed
    with pytest.raises(StatcError) as info:
        check_values(m, cm.literal_indices, {**values, "keep": -0.1}, {"keep"})
    assert info.value.span.line == 24 and "`keep` = -0.1 (from --set)" in info.value.hint


def test_control_bounds_obey_the_rules():
    m, cm, values = _load("dropout")
    check_values(m, [], values, schedules={}, controls={"keep": (0.0, 1.0)})
    with pytest.raises(StatcError) as info:
        check_values(m, [], values, schedules={}, controls={"keep": (0.0, 2.0)})
    assert "a bound of the control" in info.value.hint


def test_run_time_schedules_obey_the_rules():
    m, cm, values = _load("linear_regression")
    check_values(m, [], values, schedules={"B": [(0.0, 5.0, 1.0), (5.0, 10.0, 4.0)]})
    with pytest.raises(StatcError) as info:
        check_values(m, [], values, schedules={"B": [(0.0, 5.0, 1.0), (5.0, 10.0, 0.5)]})
    assert "batch size" in info.value.message and "scheduled on [5, 10]" in info.value.hint
