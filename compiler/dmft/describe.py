"""What the runtime needs to know about a dmft model, as plain data (stored in the cache)."""
from __future__ import annotations

import sympy as sp

from statc.dsl.semantics import CheckedModel

from .equations import H, Y, DmftEquations

OBSERVABLES = ("m", "Q", "train_loss", "train_error", "test_error", "test_loss")


def _process_text(eq: DmftEquations) -> str:
    lines = [
        f"model {eq.model}: dmft kind (finite data set, n = alpha N), teacher `{eq.teacher}`, "
        f"algorithm `{eq.algorithm}`",
        "",
        "per-sample loss and its h-derivatives (SymPy):",
        f"  l(y, h)   = {sp.sstr(eq.loss)}",
        f"  l'(y, h)  = {sp.sstr(eq.dloss)}",
        f"  l''(y, h) = {sp.sstr(eq.d2loss)}",
        "",
        "effective sample process (steps k, t = k eta; B = kappa s(k) the selection weight):",
        "  h(k)   = m_k tau + sqrt(Delta) omega(k) - eta Delta sum_{j<k} R(k,j) g(j)",
        "  g(k)   = B(k) l'(y, h(k)),   g'(k) = B(k) l''(y, h(k))",
        "  D(k,k) = 1,  D(k,j) = -eta Delta sum_{p=j}^{k-1} R(k,p) g'(p) D(p,j)",
        "  omega ~ GP(0, C_perp),  (tau, y) from the data model",
        "kernels:",
        "  Gamma(k,j) = E[g'(k) D(k,j)],  E_gg(k,l) = E[g(k) g(l)],  E_tg(k) = E[tau g(k)]",
        "  A_{k+1} = (1 - eta lambda) A_k - eta alpha Delta sum_{j<=k} Gamma(k,j) A_j",
        "  R(k+1,k) = 1,  R(k+1,j) = (1 - eta lambda) R(k,j) - eta alpha Delta sum_{l=j+1}^{k} Gamma(k,l) R(l,j)",
        "  m_{k+1} = (1 - eta lambda) m_k - eta alpha E_tg(k)",
        "  C_perp(k,l) = A_k A_l (Q0 - m0^2) + eta^2 alpha Delta sum_{p<k,q<l} R(k,p) R(l,q) E_gg(p,q)"
        " + 2 eta T sum_{p<min(k,l)} R(k,p) R(l,p)",
    ]
    beta = dict(eq.values)["beta"]
    if beta != 0 and dict(eq.values)["nesterov"] != 0:
        lines += [f"Nesterov momentum beta = {sp.sstr(beta)}: the kernels A, R, m are those of the look-ahead point "
                  "u_k = w_k + beta (w_k - w_{k-1}) where the gradient is evaluated;",
                  "  W_{k+1} = (1 - eta lambda) U_k - eta alpha Delta sum_l Gamma(k,l) U_l (+1 for R(., k)), "
                  "U_{k+1} = (1 + beta) W_{k+1} - beta W_k; m, Q reported for w (W)"]
    elif beta != 0:
        lines += [f"heavy-ball momentum beta = {sp.sstr(beta)}: A, R(., j) and m follow the second-order recursion",
                  "  x_{k+1} = (1 + beta - eta lambda) x_k - beta x_{k-1} - eta alpha Delta sum_j Gamma(k,j) x_j "
                  "(A_{-1} = A_0, R(j,j) = 0, m_{-1} = m0; m's memory term is -eta alpha E_tg(k))"]
    sphere = dict(eq.values)["sphere"]
    if sphere != 0:
        lines += [f"spherical constraint |w|^2/N = {sp.sstr(sphere)} (DMFT.md 2.2): lambda -> lambda_k, the Lagrange "
                  "multiplier of the step k -> k+1,",
                  "  with d = 1 - eta lambda_k the root -> 1 of Q_{k+1}(d) = a d^2 + 2 b d + c = "
                  f"{sp.sstr(sphere)} (A, R(k+1, .), m affine in d;",
                  "  a, b, c from m, A, R, E_gg, Gamma, E_tg of step k); no real root is a numerical error at step k"]
    if eq.algorithm == "sgf":
        lines += ["stochastic gradient flow: the eta -> 0 limit at fixed (b, tau) of the discrete process above, "
                  "by Richardson",
                  "  extrapolation f = 2 f(eta/2) - f(eta) of the DMFT at the step `lr` and at half of it "
                  "(error O(eta^2))"]
    obs = eq.observe
    if obs.names:
        lines += ["observables (obs_m = m, obs_Q = Q; trm<i> training-set means, tem<i> fresh-sample means):"]
        lines += [f"  {n} = {sp.sstr(f)}" for n, f in zip(obs.names, obs.formulas)]
        lines += [f"  trm{i} = mean over train of {sp.sstr(e)}" for i, e in enumerate(obs.train)]
        lines += [f"  tem{i} = mean over a fresh sample of {sp.sstr(e)}"
                  + (" (sample drawn at " + ", ".join(f"{k} = {sp.sstr(v)}" for k, v in obs.test_data[i]) + ")"
                     if i < len(obs.test_data) and obs.test_data[i] else "")
                  for i, e in enumerate(obs.test)]
    return "\n".join(lines)


def _process_latex(eq: DmftEquations) -> str:
    return "\n".join([
        r"\ell(y,h) = " + sp.latex(eq.loss) + r",\quad \ell'(y,h) = " + sp.latex(eq.dloss)
        + r",\quad \ell''(y,h) = " + sp.latex(eq.d2loss),
        r"h(k) = m_k \tau + \sqrt{\Delta}\,\omega(k) - \eta\Delta \sum_{j<k} R(k,j)\, g(j),\quad "
        r"g(k) = B(k)\,\ell'(y, h(k))",
        r"D(k,j) = -\eta\Delta \sum_{p=j}^{k-1} R(k,p)\, g'(p)\, D(p,j),\quad \Gamma(k,j) = \mathbb{E}[g'(k) D(k,j)]",
        r"R(k+1,j) = (1-\eta\lambda) R(k,j) - \eta\alpha\Delta \sum_{l=j+1}^{k} \Gamma(k,l) R(l,j),\quad "
        r"m_{k+1} = (1-\eta\lambda) m_k - \eta\alpha\, \mathbb{E}[\tau g(k)]",
        r"C_\perp(k,l) = A_k A_l (Q_0 - m_0^2) + \eta^2\alpha\Delta \sum_{p<k}\sum_{q<l} R(k,p) R(l,q)\, "
        r"\mathbb{E}[g(p) g(q)] + 2\eta T \sum_{p<\min(k,l)} R(k,p) R(l,p)",
    ])


def describe(cm: CheckedModel, eq: DmftEquations) -> dict:
    """Plain-data summary of a dmft model for the runtime and `statc show`."""
    return {
        "model": eq.model, "theory": "dmft", "params": list(eq.params), "int_params": sorted(cm.int_params),
        "blocks": [], "teacher": eq.teacher, "algorithm": eq.algorithm,
        "observables": ["m", "Q", "train_loss", "train_error", "test_error", *eq.observe.names],
        "show_text": _process_text(eq), "show_latex": _process_latex(eq), "ir_digest": eq.digest(),
    }


def simulator(cm: CheckedModel) -> tuple[str, dict]:
    """No generated simulator: the dmft simulator (runtime/dmft/simulate.py) runs the
    microscopic rule from the data model, loss module and algorithm entries directly."""
    return "", {"kind": "dmft"}
