"""Positive parser tests: the reference model, layout, comments, lexing corners."""
from __future__ import annotations

from pathlib import Path

import pytest

from statc.dsl import StatcError, ast, parse, parse_file
from statc.dsl.fingerprint import fingerprint
from statc.dsl.semantics import check

ROOT = Path(__file__).parent.parent.parent
SAAD_SOLLA = ROOT / "models" / "saad_solla.model"

# saad_solla.model on one line: no comments, `;` between statements.
ONE_LINE = (
    "model saad_solla; params { K = 2; M = 2; eta = 0.5; eta_v = 0; sigma = 0 }; "
    "input x ~ gaussian; "
    "teacher { vector wt[m in 1..M] ~ gaussian; scalar vt[m] = 1; "
    "y = sum(m, vt[m] * erf(wt[m].x / sqrt(2))) + sigma * noise }; "
    "student { vector w[k in 1..K] ~ gaussian(scale = 1e-3); scalar v[k] = 1; "
    "yhat = sum(k, v[k] * erf(w[k].x / sqrt(2))) }; "
    "loss = (yhat - y)^2 / 2; "
    "algorithm sgd { train w lr eta; train v lr eta_v }; "
    "order Q[k,l] = w[k].w[l]; R[k,m] = w[k].wt[m]; T[m,n] = wt[m].wt[n]; "
    "observe eps_g = mean((yhat - y)^2 / 2 given sigma = 0); "
    "run { time 0 .. 500; record log 200 }"
)

# A small model to vary in the tests below.
SMALL = """model small
params { K = 2; eta = 0.5 }
input x ~ gaussian
student { vector w[k in 1..K] ~ gaussian; yhat = sum(k, erf(w[k].x)) }
loss = yhat^2 / 2
algorithm sgd { train w lr eta }
"""


def parse_and_check(text: str, filename: str = "<test>"):
    model = parse(text, filename)
    return model, check(model)


def test_saad_solla_parses_and_checks():
    model, checked = parse_and_check(SAAD_SOLLA.read_text(), "models/saad_solla.model")
    assert model.name == "saad_solla"
    assert [p.name for p in model.params] == ["K", "M", "eta", "eta_v", "sigma"]
    assert {n.role for n in model.networks} == {"teacher", "student"}
    assert [t.target for t in model.algorithm.trains] == ["w", "v"]
    assert [o.name for o in model.orders] == ["Q", "R", "T"]
    assert model.run.record_mode == "log"
    assert checked.index_sizes == {"k": "K", "m": "M"}
    assert checked.int_params == {"K", "M"}
    assert checked.symbols["w"].kind == "vector" and checked.symbols["w"].role == "student"
    assert checked.symbols["x"].kind == "input"


def test_newlines_are_insignificant():
    multi = parse(SAAD_SOLLA.read_text(), "models/saad_solla.model")
    single = parse(ONE_LINE, "one_line.model")
    check(single)
    assert "\n" not in ONE_LINE
    assert fingerprint(single) == fingerprint(multi)


def test_fingerprint_sees_real_changes():
    changed = ONE_LINE.replace("eta = 0.5", "eta = 0.3")
    assert fingerprint(parse(changed)) != fingerprint(parse(ONE_LINE))


def test_comments_are_ignored():
    commented = "# leading comment\n" + SMALL.replace(
        "params { K = 2; eta = 0.5 }",
        "params {   # sizes and rates\n  K = 2  # hidden units\n  eta = 0.5 # rate # with a second hash\n}",
    ) + "# trailing comment without newline"
    assert fingerprint(parse(commented)) == fingerprint(parse(SMALL))
    check(parse(commented))


def test_record_log_and_log_function():
    text = SMALL.replace("yhat = sum(k, erf(w[k].x))", "yhat = sum(k, log(1 + exp(w[k].x)))") \
        + "run { time 0 .. 100; record log 200 }\n"
    model, _ = parse_and_check(text)
    assert model.run.record_mode == "log"
    assert isinstance(model.run.record, ast.Num) and model.run.record.value == 200
    out = next(s for s in model.networks[0].body if isinstance(s, ast.OutputDecl))
    call = out.value.body
    assert isinstance(call, ast.Call) and call.func == "log"


@pytest.mark.parametrize("mode, expected", [("record linear 50", "linear"), ("record 50", None)])
def test_record_modes(mode, expected):
    model, _ = parse_and_check(SMALL + f"run {{ time 0 .. 10; {mode} }}\n")
    assert model.run.record_mode == expected


@pytest.mark.parametrize("text, value", [("1e-3", 1e-3), (".5", 0.5), ("2.", 2.0), ("3", 3.0),
                                         ("1.5E+2", 150.0), ("0.25", 0.25)])
def test_numbers(text, value):
    model = parse(SMALL.replace("eta = 0.5", f"eta = {text}"))
    num = next(p for p in model.params if p.name == "eta").value
    assert isinstance(num, ast.Num)
    assert num.value == pytest.approx(value)
    assert num.text == text


@pytest.mark.parametrize("rng", ["1..K", "1 .. K", "1..2", "1 ..2"])
def test_ranges_lex_as_range(rng):
    model, checked = parse_and_check(SMALL.replace("w[k in 1..K]", f"w[k in {rng}]"))
    decl = next(s for s in model.networks[0].body if isinstance(s, ast.VectorDecl))
    lo, hi = decl.index.range.lo, decl.index.range.hi
    assert isinstance(lo, ast.Num) and lo.value == 1 and lo.text == "1"
    assert checked.index_sizes["k"] == ("K" if "K" in rng else 2)


def test_time_range_with_numbers():
    model, _ = parse_and_check(SMALL + "run { time 0..500 }\n")
    assert (model.run.t0.value, model.run.t1.value) == (0, 500)


def test_spans_point_at_source():
    model = parse(SAAD_SOLLA.read_text())
    train = model.algorithm.trains[0]
    line = SAAD_SOLLA.read_text().splitlines()[train.target_span.line - 1]
    assert line[train.target_span.column - 1:train.target_span.end_column - 1] == "w"


def test_bad_input_is_statc_error():
    with pytest.raises(StatcError):
        parse("model m params {")


def test_byte_order_mark_is_accepted(tmp_path):
    """A UTF-8 BOM (some editors write one) is skipped; positions are unchanged."""
    text = (ROOT / "models" / "linear_regression.model").read_text()
    path = tmp_path / "bom.model"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    with_bom, plain = parse_file(path), parse(text)
    assert with_bom.name == plain.name == "linear_regression"
    assert with_bom.params == plain.params              # same values and same source spans
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("eta = 0.5", "eta = $").encode())
    with pytest.raises(StatcError) as info:
        parse_file(path)
    assert (info.value.span.line, info.value.span.column) == (7, 9)
