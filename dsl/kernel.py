"""Semantic checks of the kernel kind (`algorithm bayes { temperature T }`).

A kernel model declares parameters, a sequence data set, a student made of attention
layers, and the Bayesian posterior at temperature T::

    data train ~ markov_chain(train = 100, test = 1000, seed = 1)   # or: data train from "d.npz"
    student {
      width N                                  # hidden width (every layer; the default)
      embedding prior 1                        # sigma0^2 of the input projection V^0
      layer { head good ~ attention(same_token, beta = 10); head u ~ uniform; prior 1 }
      # per-layer widths: `embedding width N1 prior 1` (x^(0) = V^0 x / sqrt(N0), N1 wide) and
      # `layer { ...; width N2 }` (the layer's output); each overrides the student's `width N`
      readout last prior 1                     # last | mean | token(k); sigma_a^2
    }
    algorithm bayes { temperature T }

The language-side tables (:data:`MIXINGS`, :data:`GENERATORS`, :data:`READOUTS`) say what
each name takes; the runtime registries (runtime/kernel/mixing.py, data.py) implement
them, and a test keeps the two in step.  Values (width > 0, probabilities, whole numbers)
are checked by :mod:`statc.dsl.values` with the file's defaults and with each run's values.
"""
from __future__ import annotations

from typing import Callable

from . import ast
from .errors import Span, StatcError, did_you_mean

#: mixing type -> (what its positional argument names: "" none, "qk" an N0 x N0 query-key
#: matrix, "mixing" a T' x T' matrix; keyword options)
MIXINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "attention": ("qk", ("beta",)),
    "hardmax": ("qk", ()),
    "uniform": ("", ()),
    "identity": ("", ()),
    "previous_token": ("", ()),
    "matrix": ("mixing", ()),
}
#: readout rule -> whether it takes a token number `token(k)`
READOUTS: dict[str, bool] = {"last": False, "mean": False, "token": True}
#: sequence generators -> {setting: value rule} (rule names of statc.dsl.values.KERNEL_RULES)
GENERATORS: dict[str, dict[str, str]] = {
    "markov_chain": {"train": "count", "test": "count", "length": "length", "features": "length",
                     "p_plus": "probability", "p_minus": "probability", "noise_sum": "nonnegative",
                     "noise_diff": "nonnegative", "noise_perp": "nonnegative", "bos": "finite",
                     "seed": "seed"},
    "linear_teacher": {"train": "count", "test": "count", "length": "count", "features": "count",
                       "noise": "nonnegative", "seed": "seed"},
}
#: other names people use for a mixing type
MIXING_ALIASES = {"softmax": "attention", "argmax": "hardmax", "mean": "uniform", "previous": "previous_token",
                  "fixed": "matrix", "none": "identity"}
ALGORITHM = "bayes"
EXAMPLE_STUDENT = ("`student { width N; layer { head h ~ uniform; prior 1 }; readout last }`")
#: top-level items a kernel model does not use, and why
UNUSED = {
    "inputs": ("input", "the sequences come from the data set (`data train ~ markov_chain(...)`)"),
    "loss": ("loss", "the posterior at temperature T is fixed by the priors and the square-error "
                     "likelihood"),
    "orders": ("order", "the order parameters are the path overlaps U, derived by the compiler"),
    "observes": ("observe", "the observables (U, accuracy, eps_g, head scores) are reported by `statc run`"),
    "inits": ("init", "the solver starts from the GP point"),
    "schedules": ("schedule", "a kernel model has no time"),
    "run": ("run", "a kernel model has no time"),
    "control": ("control", "a kernel model has no protocol to optimise"),
}


def is_kernel(model: ast.Model) -> bool:
    return model.algorithm is not None and model.algorithm.name == ALGORITHM


def first_kernel_statement(model: ast.Model):
    """A kernel-only statement in a model of another kind (for the error), or None."""
    for net in model.networks:
        for st in net.body:
            if isinstance(st, (ast.WidthDecl, ast.EmbeddingDecl, ast.LayerBlock, ast.ReadoutDecl)):
                return st
    return None


def _err(msg: str, span: Span | None, **kw) -> StatcError:
    return StatcError(msg, span, **kw)


def check_kernel(m: ast.Model, param: Callable[[ast.Expr], None]) -> None:
    """Check a kernel model; ``param`` checks an expression of parameters."""
    end = Span.point(m.span.end_line, m.span.end_column)
    for field, (word, why) in UNUSED.items():
        value = getattr(m, field)
        item = value[0] if isinstance(value, tuple) and value else value if not isinstance(value, tuple) else None
        if item is not None:
            raise _err(f"`{word}` is not used by the kernel kind (`algorithm bayes`)", item.span, hint=why)
    teacher = next((n for n in m.networks if n.role == "teacher"), None)
    if teacher is not None:
        raise _err("`teacher` is not used by the kernel kind (`algorithm bayes`)", teacher.span,
                   hint="the labels come from the data set")
    _algorithm(m.algorithm, param)
    _data(m.data, end, param)
    student = next((n for n in m.networks if n.role == "student"), None)
    if student is None:
        raise _err("missing `student` block", end, expected=EXAMPLE_STUDENT,
                   hint="the student declares the width, the attention layers and the readout")
    _student(student, param)


def _algorithm(alg: ast.Algorithm, param) -> None:
    example = "`algorithm bayes { temperature T }`"
    extra = (alg.trains[0] if alg.trains else alg.updates[0] if alg.updates else alg.penalty or alg.bias
             or (alg.constraints[0] if alg.constraints else None))
    if extra is not None:
        raise _err("`algorithm bayes` samples the posterior; it trains nothing", extra.span,
                   expected=example, hint="all weights are integrated over with their Gaussian priors")
    temps = [o for o in alg.options if o.name == "temperature"]
    for o in alg.options:
        if o.name != "temperature":
            raise _err(f"unknown option `{o.name}` of `algorithm bayes`", o.span, expected=example,
                       hint=did_you_mean(o.name, ["temperature"]))
    if not temps:
        raise _err("`algorithm bayes` needs a temperature", alg.span, expected=example,
                   hint="T is the variance of the Gaussian likelihood exp(-(f - y)^2 / 2T)")
    if len(temps) > 1:
        raise _err("a second `temperature`", temps[1].span, hint="the posterior has one temperature")
    param(temps[0].value)


def _data(d: ast.DataDecl | None, end: Span, param) -> None:
    example = "`data train ~ markov_chain(train = 100, test = 1000)` or `data train from \"file.npz\"`"
    if d is None:
        raise _err("missing sequence data set", end, expected=example,
                   hint="a kernel model is solved on a finite training set of P sequences")
    if d.size is not None:
        raise _err("the kernel kind takes a sequence data set", d.span, expected=example,
                   hint="the training-set size P is given by the data set itself")
    if d.file is not None:
        if not d.file.strip():
            raise _err("an empty file name", d.file_span, expected="`data train from \"file.npz\"`")
        return
    g = d.generator
    if g.name not in GENERATORS:
        raise _err(f"unknown sequence generator `{g.name}`", g.span,
                   expected=", ".join(f"`{k}`" for k in GENERATORS), hint=did_you_mean(g.name, GENERATORS))
    settings = GENERATORS[g.name]
    if g.args:
        raise _err(f"the settings of `{g.name}` are named", g.args[0].span,
                   expected=", ".join(f"`{k} = ...`" for k in settings))
    seen: dict[str, Span] = {}
    for name, value, span in g.kwargs:
        if name not in settings:
            raise _err(f"unknown setting `{name}` of `{g.name}`", span,
                       expected=", ".join(f"`{k}`" for k in settings), hint=did_you_mean(name, settings))
        if name in seen:
            raise _err(f"`{name}` is set twice", span, hint=f"first at line {seen[name].line}")
        seen[name] = span
        param(value)


def _student(net: ast.Network, param) -> None:
    widths = [s for s in net.body if isinstance(s, ast.WidthDecl)]
    embeds = [s for s in net.body if isinstance(s, ast.EmbeddingDecl)]
    layers = [s for s in net.body if isinstance(s, ast.LayerBlock)]
    readouts = [s for s in net.body if isinstance(s, ast.ReadoutDecl)]
    for st in net.body:
        if not isinstance(st, (ast.WidthDecl, ast.EmbeddingDecl, ast.LayerBlock, ast.ReadoutDecl)):
            raise _err("a kernel student is made of `width`, `embedding`, `layer` and `readout`", st.span,
                       expected=EXAMPLE_STUDENT,
                       hint="vectors, scalars and outputs belong to the other kinds; the network's "
                            "weights are implied by its layers")
    for items, word in ((widths, "width"), (embeds, "embedding"), (readouts, "readout")):
        if len(items) > 1:
            raise _err(f"a second `{word}` statement", items[1].span,
                       hint=f"the first is at line {items[0].span.line}")
    own = [e for e in [embeds[0].width if embeds else None] + [layer.width for layer in layers] if e is not None]
    if not widths and not own:
        raise _err("the student needs a width", net.span, expected="`width N` (N a parameter or a number)",
                   hint="N is the hidden width of every layer; alpha = P / N")
    if not layers:
        raise _err("the student has no attention layer", net.span,
                   expected="`layer { head h ~ uniform; prior 1 }`",
                   hint="one `layer { ... }` per layer, the first one acting first on the tokens")
    if not readouts:
        raise _err("the student needs a readout", net.span, expected="`readout last`, `readout mean` "
                   "or `readout token(k)`")
    if not widths:
        _every_width_given(net, embeds, layers)
    for e in ([widths[0].value] if widths else []) + own:
        param(e)
    if embeds and embeds[0].prior is not None:
        param(embeds[0].prior)
    for layer in layers:
        _layer(layer, param)
    r = readouts[0]
    if r.rule not in READOUTS:
        raise _err(f"unknown readout `{r.rule}`", r.rule_span,
                   expected=", ".join(f"`{k}`" for k in READOUTS), hint=did_you_mean(r.rule, READOUTS))
    if READOUTS[r.rule] and r.token is None:
        raise _err(f"`readout {r.rule}` needs a token number", r.rule_span, expected="`readout token(1)`",
                   hint="tokens are numbered from 1 (a BOS token, if any, is token 1)")
    if not READOUTS[r.rule] and r.token is not None:
        raise _err(f"`readout {r.rule}` takes no token number", r.token.span,
                   expected=f"`readout {r.rule}` or `readout token(k)`")
    for e in (r.token, r.prior):
        if e is not None:
            param(e)


def _every_width_given(net: ast.Network, embeds: list, layers: list) -> None:
    """Without a student-wide `width N`, the embedding and every layer declare their own
    (L + 1 widths: N_1 of the embedding's output x^(0), and each layer's output)."""
    why = ("without a student-wide `width N`, the embedding and each of the {L} layers declare "
           "their own width ({n} widths: the embedding's output and each layer's output)")
    hint = why.format(L=len(layers), n=len(layers) + 1)
    if not embeds or embeds[0].width is None:
        raise _err("the embedding has no width", embeds[0].span if embeds else net.span,
                   expected="`embedding width N1` (or a student-wide `width N`)", hint=hint)
    for k, layer in enumerate(layers, start=1):
        if layer.width is None:
            raise _err(f"layer {k} has no width", layer.span,
                       expected=f"`width N{k + 1}` inside the layer (or a student-wide `width N`)", hint=hint)


def _layer(layer: ast.LayerBlock, param) -> None:
    if not layer.heads:
        raise _err("a layer without heads", layer.span, expected="`head h ~ uniform` inside the layer")
    seen: dict[str, ast.HeadDecl] = {}
    for h in layer.heads:
        if h.name in seen:
            raise _err(f"two heads named `{h.name}` in this layer", h.name_span,
                       hint=f"the first is at line {seen[h.name].span.line}; heads are named per layer")
        seen[h.name] = h
        _mixing(h.mixing, param)
    if layer.prior is not None:
        param(layer.prior)


def _mixing(d: ast.Dist, param) -> None:
    if d.name not in MIXINGS:
        alias = MIXING_ALIASES.get(d.name)
        raise _err(f"unknown mixing `{d.name}`", d.span, expected=", ".join(f"`{k}`" for k in MIXINGS),
                   hint=f"did you mean `{alias}`?" if alias else did_you_mean(d.name, MIXINGS))
    matrix, options = MIXINGS[d.name]
    what = "a query-key matrix (N0 x N0)" if matrix == "qk" else "a mixing matrix (T' x T')"
    if matrix:
        if not d.args or not isinstance(d.args[0], ast.Name):
            raise _err(f"`{d.name}` needs the name of {what} of the data set", d.span,
                       expected=f"`{d.name}(W{', beta = 10' if 'beta' in options else ''})`",
                       hint="the data set provides named matrices: `same_token`, `blank1`, `blank2` "
                            "for `markov_chain`, the other keys of an .npz file")
        if len(d.args) > 1:
            raise _err(f"`{d.name}` takes one matrix", d.args[1].span,
                       expected=", ".join(f"`{o} = ...`" for o in options) or f"`{d.name}(W)`")
    elif d.args:
        raise _err(f"`{d.name}` takes no matrix", d.args[0].span, expected=f"`{d.name}`",
                   hint=f"`{d.name}` mixes the tokens the same way for every sequence")
    for name, value, span in d.kwargs:
        if name not in options:
            raise _err(f"unknown option `{name}` of `{d.name}`", span,
                       expected=", ".join(f"`{o}`" for o in options) or "no options",
                       hint=did_you_mean(name, options))
        param(value)
