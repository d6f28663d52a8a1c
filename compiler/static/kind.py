"""The static kind's compile-time columns for the registry (statc/kinds.py).

``codegen``: the generated loss module (ℓ, ℓ′, ℓ″, prox, kinks, node sums — compiler/static/
codegen.py) plus ``static_values(P)`` and ``channel_values(P)``, the numbers of a run as
functions of the parameter vector (parameters as ``p_<name>``; no user text in the source).
``describe``: plain data for the runtime and the saddle-point equations for `statc show`.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl.semantics import CheckedModel

from ..codegen.printer import KernelPrinter
from .codegen import generate as generate_loss
from .equations import VALUE_NAMES, StaticEquations
from .losses import H, Y, Loss


def _values_fn(name: str, doc: str, params: tuple[str, ...], items, pr) -> list[str]:
    out = ["", "", f"def {name}(P):", f'    """{doc}"""']
    if params:
        out.append(f"    ({', '.join(f'p_{p}' for p in params)},) = [float(v) for v in P]")
    out.append("    return {" + ", ".join(f"{k!r}: float({pr(v)})" for k, v in items) + "}")
    return out


def generate(eq: StaticEquations) -> str:
    """Python source of the model's kernel module."""
    pr = KernelPrinter(set(eq.params)).doprint
    if eq.loss is not None and eq.labels != "class":
        rule, src = generate_loss(Loss(eq.model, eq.loss, eq.labels))
        out = [src, f"PROX_RULE = {rule!r}", f"LABELS = {eq.labels!r}"]
    else:       # Bayes-optimal, or a K-class loss (its kernels per K: compiler/static/multiclass_loss.py)
        out = [f'"""statc static kernels for model `{eq.model}` ({eq.algorithm}; generated, do not edit)."""',
               "import math", "", "PROX_RULE = None", f"LABELS = {eq.labels!r}"]
    out += _values_fn("static_values", ", ".join(VALUE_NAMES) + " from the parameter vector P.",
                      eq.params, eq.values, pr)
    out += _values_fn("channel_values", "Parameters of the channel (data model).", eq.params,
                      eq.channel_args, pr)
    return "\n".join(out) + "\n"


_ERM_TEXT = """\
replica-symmetric fixed point of ERM (STATIC.md §3-4): state (m, q, V) and the bias b
  prox:   h*(omega; y, V) = argmin_h (h - omega)^2 / (2 V) + l(y, h)   [rule: {rule}]
          f(omega; y, V) = (h* - omega) / V,   d_omega f = -l''(y, h*) / (1 + V l''(y, h*))
  channel `{channel}`{cargs}: omega and y from the data model given (m, q, b), V_p = {vp}
  hats:   qhat = alpha s E[f^2],  Vhat = -alpha s E[d_omega f],  mhat = alpha E[d_mu f]   (s = {scale})
  {bias}
  {prior}
  iterate x <- (1 - eta) F(x) + eta x until sum |F(x) - x| / |F(x)| < tol
observables: test_error = P(y != sign(w.x + b)) on a fresh sample, train_error, train_loss = E[l(y, h*)],
  free_energy = alpha train_loss + E[r(eta)] (the minimal objective per coordinate)"""

#: the regulariser side printed by `statc show` (r(w) = lambda1 |w| + lambda/2 w^2 per coordinate)
_PRIOR_TEXT = {
    "ridge": "ridge:  V = 1 / (lambda + Vhat),  m = V mhat,  q = V^2 (mhat^2 + qhat)",
    "lasso": ("lasso:  eta(b) = sign(b) (|b| - lambda1)_+ / Vhat,  b = mhat w* + sqrt(qhat) xi ~ N(0, s2),"
              " s2 = mhat^2 + qhat, t = lambda1 / sqrt(s2)\n"
              "          V = 2 Q(t) / Vhat,  m = mhat V,  q = 2 s2 ((1 + t^2) Q(t) - t phi(t)) / Vhat^2"),
    "elastic_net": ("elastic net:  eta(b) = sign(b) (|b| - lambda1)_+ / (Vhat + lambda),  b ~ N(0, s2),"
                    " s2 = mhat^2 + qhat, t = lambda1 / sqrt(s2)\n"
                    "          V = 2 Q(t) / (Vhat + lambda),  m = mhat V,"
                    "  q = 2 s2 ((1 + t^2) Q(t) - t phi(t)) / (Vhat + lambda)^2"),
}

#: the channel's partition function printed by `statc show` (noise: the declared noise variance)
_ZOUT = {"sign": "Phi(y w / sqrt(V + noise))  (probit; the sign teacher at noise = 0)",
         "linear": "N(y; w, V + noise)",
         "mixture": "the Gaussian channel of the means, x = y mu / sqrt(N) + sqrt(Delta) z"}

#: the prior side of the Bayes-optimal SE printed by `statc show`
_PRIOR_BO = {"gaussian": "q = qhat / (1 + qhat)",
             "sparse": ("q = E[f_w(gamma, qhat)^2], gamma = qhat w* + sqrt(qhat) xi, w* = 0 w.p. 1 - eps, "
                        "N(0, 1/eps) w.p. eps;\n    f_w = pi gamma v / (1 + qhat v), v = 1/eps, pi the posterior "
                        "weight of the non-zero component")}

_BO_TEXT = """\
Bayes-optimal state evolution (STATIC.md §6), Nishimori: m = q, V = 1 - q, mhat = qhat = Vhat
  channel `{channel}`{cargs}:  qhat = alpha E_y,xi[ Z_out(y; sqrt(q) xi, 1 - q) g_out^2 ]{chan_note}
  Z_out(y; w, V) = {zout},  g_out = d_w log Z_out
  prior `{prior}`:  {prior_text}
  uninformed (q = 1e-6) and informed (q = 1 - 1e-6) starts; different limits = hysteresis
observables: test_error of the Bayes-optimal classifier, q (= m)"""


_ARGMAX_TEXT = """\
K-class teacher-student perceptron, Bayes-optimal state evolution (STATIC.md 5-6), K x K overlaps:
  y = argmax_k z_k, z = W* x / sqrt(N), teacher rows of second moment I_K; Nishimori: m = q, V = I - q
  channel:  qhat = alpha sum_k E_omega[ Z_k g_k g_k^T ],  omega ~ N(0, q),  g_k = grad log Z_k
            Z_k(mu) = int Dt prod_{j != k} Phi((mu_k - mu_j)/s + t),  s^2 = tr(P V P)/(K - 1)  (max trick)
  prior `{prior}`:  {prior_text}
  start q = 1e-6 P (P = I - 11^T/K);  anisotropy |PVP - s^2 P|/s^2 reported
observables: test_error = P(argmax omega != argmax z) (orthant probability), q (K x K), qbar = tr(PqP)/(K-1)"""

_PRIOR_K = {"gaussian": "q = qhat (I + qhat)^(-1)",
            "rademacher": ("Z_w(b, A) = 2^-K sum_{w in {-1,1}^K} exp(-w^T A w / 2 + b^T w) (from the declared "
                           "distribution's support),\n    q = E[f_w f_w^T], f_w = grad_b log Z_w at b = qhat w* + "
                           "qhat^(1/2) xi; uninformed and informed starts, free entropy on both branches")}

_ARGMAX_ERM_TEXT = """\
K-class teacher-student perceptron, ERM (STATIC.md 3, 5): K x K overlaps m (student x teacher), q, V
  loss l(y, h), h in R^K the class scores, y the class (0-based here):  {loss}
  prox:   h* = argmin_h (h - omega)^T V^-1 (h - omega) / 2 + l(y, h)   [rule: {rule}; SymPy gradient and Hessian]
          f = -grad l(y, h*),  d_omega f = -(I + H V)^-1 H,  H = Hessian of l at h*
  channel `argmax`: omega ~ N(0, q) over the range of q, z | omega ~ N(A omega, V0), A = m^T q^+, V0 = I - m^T q^+ m
          Z0(y; mu) = int Dt prod_(j != y) Phi((mu_y - mu_j)/s0 + t)  (max trick, s0^2 = tr(P V0 P)/(K - 1))
  hats:   qhat = alpha sum_y E[Z0 f f^T],  Vhat = -alpha sum_y E[Z0 d_omega f],  mhat = alpha sum_y E[f grad_mu Z0^T]
  ridge:  V = (lambda I + Vhat)^-1,  m = V mhat,  q = V (mhat mhat^T + qhat) V
  iterate x <- (1 - eta) F(x) + eta x on (m, q, V) until sum |F(x) - x| / sum |F(x)| < tol
observables: test_error = 1 - sum_k P(omega_k, z_k largest) ((omega, z) ~ N(0, [[q, m], [m^T, I]])), train_error
  (quasi-Monte Carlo of 1[argmax h* != y]), train_loss = E[l(y, h*)], free_energy = alpha train_loss + lambda/2 tr q,
  m, q, V as the subspace scalars tr(P x P)/(K - 1)"""


def _show_text(eq: StaticEquations, rule: str) -> str:
    cargs = ("(" + ", ".join(f"{k} = {sp.sstr(v)}" for k, v in eq.channel_args) + ")") if eq.channel_args else ""
    head = [f"model {eq.model}: static kind (finite data set, n = alpha N), algorithm `{eq.algorithm}`, "
            f"channel `{eq.channel}`", f"  alpha = {sp.sstr(dict(eq.values)['alpha'])}"]
    if eq.channel == "argmax" and eq.algorithm == "erm":
        vals = dict(eq.values)
        return "\n".join(head + [f"  lambda = {sp.sstr(vals['lam'])} (ridge: lambda/2 |W|_F^2)", "",
                                  _ARGMAX_ERM_TEXT.format(loss=sp.sstr(eq.loss), rule=rule)])
    if eq.channel == "argmax":
        return "\n".join(head + ["", _ARGMAX_TEXT.replace("{prior}", eq.prior).replace("{prior_text}", _PRIOR_K[eq.prior])])
    if eq.algorithm == "bayes_optimal":
        note = " = alpha / Delta (labels observed)" if eq.channel == "mixture" else ""
        return "\n".join(head + ["", _BO_TEXT.format(channel=eq.channel, cargs=cargs, chan_note=note,
                                                      prior=eq.prior, zout=_ZOUT[eq.channel],
                                                      prior_text=_PRIOR_BO[eq.prior])])
    loss = Loss(eq.model, eq.loss, eq.labels)
    mixture = eq.channel == "mixture"
    vals = dict(eq.values)
    head += [f"  lambda = {sp.sstr(vals['lam'])} (L2: lambda/2 |w|^2),  lambda1 = {sp.sstr(vals['lam1'])} "
             f"(L1: lambda1 |w|_1);  regulariser `{eq.regulariser}`"]
    if eq.teacher == "sparse":
        head.append(f"  teacher prior `sparse` (density {sp.sstr(vals['teacher_p'])}): w* = 0 w.p. 1 - eps, "
                    "N(0, 1/eps) w.p. eps; the regulariser's averages below are sums over the two components "
                    "(s2 = mhat^2 var + qhat, m = mhat var V per component)")
    head += ["",
             "per-sample loss and its h-derivatives (SymPy; h = w.x/sqrt(N) + b):",
             f"  l(y, h)   = {sp.sstr(eq.loss)}", f"  l'(y, h)  = {sp.sstr(loss.derivative(1))}",
             f"  l''(y, h) = {sp.sstr(loss.derivative(2))}", ""]
    bias = ("bias:   sum_y rho_y E[f] = 0 solved for b at every sweep" if eq.bias
            else "bias:   none (b = 0)")
    return "\n".join(head + [_ERM_TEXT.format(rule=rule, channel=eq.channel, cargs=cargs,
                                              vp="Delta V" if mixture else "V",
                                              scale="Delta" if mixture else "1", bias=bias,
                                              prior=_PRIOR_TEXT[eq.regulariser])])


def _show_latex(eq: StaticEquations) -> str:
    if eq.channel == "argmax" and eq.algorithm == "erm":
        return (r"h^* = \arg\min_h \tfrac12 (h-\omega)^\top V^{-1} (h-\omega) + \ell(y,h),\quad "
                r"V = (\lambda I + \hat V)^{-1},\ m = V\hat m,\ q = V(\hat m\hat m^\top + \hat q)V")
    if eq.channel == "argmax":
        return (r"\hat q = \alpha \sum_k \mathbb{E}_\omega\left[Z_k\, g_k g_k^\top\right],\quad "
                r"q = \hat q\,(I + \hat q)^{-1}")
    if eq.loss is None:
        return (r"\hat q = \alpha\,\mathbb{E}\left[Z_{\rm out}\, g_{\rm out}^2\right],\quad "
                r"q = \frac{\hat q}{1+\hat q}")
    return "\n".join([r"\ell(y,h) = " + sp.latex(eq.loss),
                      r"h^*(\omega) = \arg\min_h \frac{(h-\omega)^2}{2V} + \ell(y,h),\quad f = \frac{h^*-\omega}{V}",
                      r"\hat q = \alpha s\,\mathbb{E}[f^2],\ \hat V = -\alpha s\,\mathbb{E}[\partial_\omega f],\ "
                      r"\hat m = \alpha\,\mathbb{E}[\partial_\mu f]",
                      _LATEX_PRIOR[eq.regulariser]])


_SOFT = (r"t = \frac{\lambda_1}{\sqrt{\hat m^2+\hat q}},\ V = \frac{2Q(t)}{\hat V + \lambda},\ m = V\hat m,\ "
         r"q = \frac{2(\hat m^2+\hat q)[(1+t^2)Q(t) - t\varphi(t)]}{(\hat V+\lambda)^2}")
_LATEX_PRIOR = {"ridge": r"V = \frac{1}{\lambda+\hat V},\ m = V\hat m,\ q = V^2(\hat m^2+\hat q)",
                "lasso": _SOFT.replace(r" + \lambda", "").replace(r"+\lambda)", ")"), "elastic_net": _SOFT}


def describe(cm: CheckedModel, eq: StaticEquations) -> dict:
    """Plain-data summary of a static model for the runtime and `statc show`."""
    rule = ""
    if eq.loss is not None and eq.labels == "class":
        from .multiclass_loss import load as load_k
        rule = "K-dim " + load_k(eq.loss, 3).PROX_RULE
    elif eq.loss is not None:
        from .build import load
        rule = load(Loss(eq.model, eq.loss, eq.labels)).PROX_RULE
    observables = (["test_error", "train_error", "train_loss", "free_energy", "m", "q", "V"]
                   + (["b"] if eq.channel != "argmax" else []) if eq.algorithm == "erm" else ["test_error", "m", "q"])
    return {
        "model": eq.model, "theory": "static", "params": list(eq.params), "int_params": sorted(cm.int_params),
        "blocks": [], "teacher": eq.channel, "channel": eq.channel, "algorithm": eq.algorithm,
        "loss_name": eq.loss_name, "labels": eq.labels, "regulariser": eq.regulariser, "prior": eq.prior,
        "teacher_prior": eq.teacher,
        "bias": eq.bias, "prox_rule": rule, "observables": observables,
        "show_text": _show_text(eq, rule), "show_latex": _show_latex(eq), "ir_digest": eq.digest(),
    }


def simulator(cm: CheckedModel) -> tuple[str, dict]:
    """No generated simulator: the finite-size check (runtime/static/finite.py) draws the data
    from the channel entry and trains with scikit-learn / the normal equations."""
    return "", {"kind": "static"}
