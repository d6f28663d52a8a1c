"""The kernel kind's compile-time columns for the registry (statc/kinds.py).

``codegen``: ``kernel_values(P)``, the numbers of a run (width, temperature, prior
variances, head options, readout token, generator settings) as functions of the parameter
vector (parameters as ``p_<name>``; no user text in the source).  ``describe``: the layer
structure for the runtime and the derived action and saddle-point equations for `statc show`.
"""
from __future__ import annotations

import sympy as sp

from statc.dsl.semantics import CheckedModel

from ..codegen.printer import KernelPrinter
from .equations import KernelEquations

#: the scalar results of a run (summary.json's `final`)
OBSERVABLES = ["action", "accuracy", "test_mse", "eps_g", "accuracy_gp", "test_mse_gp", "eps_g_gp", "U_a",
               "grad_norm"]


def generate(eq: KernelEquations) -> str:
    pr = KernelPrinter(set(eq.params)).doprint
    out = [f'"""statc kernel-kind values for model `{eq.model}` (generated, do not edit)."""',
           "import math", "", "", "def kernel_values(P):",
           '    """Width, temperature, prior variances, head options, readout token and data '
           'settings from the parameter vector P."""']
    if eq.params:
        out.append(f"    ({', '.join(f'p_{p}' for p in eq.params)},) = [float(v) for v in P]")
    out.append("    return {" + ", ".join(f"{k!r}: float({pr(v)})" for k, v in eq.values) + "}")
    return "\n".join(out) + "\n"


def _levels(heads: tuple[int, ...]) -> list[str]:
    L = len(heads)
    sizes = [1]
    for h in reversed(heads):
        sizes.append(sizes[-1] * h)
    sizes = list(reversed(sizes))                   # m_1 .. m_{L+1}
    out = []
    for l in range(1, L + 2):
        name = "U_a" if l == L + 1 else f"U_{l}"
        what = ("readout overlap |a|^2/N" if l == L + 1 else
                "U, the order parameter: overlaps of the path weights w_pi" if l == 1 else
                "auxiliary: overlaps of partial paths")
        idx = "" if l == L + 1 else " over (" + ", ".join(f"h_{k}" for k in range(l, L + 1)) + ")"
        out.append(f"  {name}: {sizes[l - 1]} x {sizes[l - 1]}{idx}  -- {what}")
    return out


def show_text(eq: KernelEquations) -> str:
    heads, L = eq.heads, len(eq.heads)
    M = 1
    for h in heads:
        M *= h
    names = {l: ("U_a" if l == L + 1 else f"U_{l}") for l in range(1, L + 2)}
    sig = {l: ("sigma_a^2" if l == L + 1 else f"sigma_{l}^2") for l in range(1, L + 2)}
    Hs = {l: (1 if l == L + 1 else heads[l - 1]) for l in range(1, L + 2)}
    vals = dict(eq.values)
    lines = [f"model {eq.model}: kernel kind (Bayesian deep attention network at finite width ratio), "
             f"L = {L} layer(s), heads {list(heads)}, {M} attention path(s)",
             "  widths N_1 (embedding) .. N_{L+1} = N_a (layer L's output, the readout's length): "
             + ", ".join(sp.sstr(vals[f"width_{k}"]) for k in range(1, L + 2))
             + f"; temperature T = {sp.sstr(vals['temperature'])}, "
             f"readout {eq.readout}, data {eq.data[0]} `{eq.data[1]}`", "",
             "heads (layer 1 acts first on the tokens):"]
    for l, layer in enumerate(eq.layers, start=1):
        lines.append(f"  layer {l}: " + ", ".join(
            f"{h.name} = {h.mixing}({h.matrix})" if h.matrix else f"{h.name} = {h.mixing}" for h in layer)
            + f"; prior sigma_{l}^2 = {sp.sstr(vals[f'var_{l}'])}")
    lines += ["", "order parameters (levels):"] + _levels(heads) + ["",
              "kernel: K_U[mu,nu] = sum_{pi,pi'} U_1[pi,pi'] C_{pi pi'}[mu,nu],  "
              f"C_{{pi pi'}} = sigma_0^2/(N0 {M}) x_pi^mu . x_pi'^nu,",
              "        x_pi = x Omega^{1,h_1} ... Omega^{L,h_L} r  (r: readout vector)", "",
              "action (minimised over positive-definite U's; reported as S/N):",
              "  S = " + " + ".join(f"N_{l} s_{l}" if l <= L else "N_a s_a" for l in range(1, L + 2))
              + " + ln det(K_U + T I_P) + y^T (K_U + T I_P)^-1 y"]
    for l in range(1, L + 2):
        nxt = names[l + 1] if l <= L else "1"
        inv = f"(I_{Hs[l]} (x) {nxt}^-1)" if l <= L else ""
        tr = f"Tr[{inv} {names[l]}]/{sig[l]}" if l <= L else f"{names[l]}/{sig[l]}"
        tail = f" + {Hs[l]} ln det {nxt}" if l <= L else ""
        lines.append(f"  s_{l if l <= L else 'a'} = {tr} - ln det {names[l]}{tail}")
    lines += ["", "saddle point (E = dE/dU_1: E[pi,pi'] = Tr(A^-1 C_{pi pi'}) - b^T C_{pi pi'} b, "
              "A = K_U + T I, b = A^-1 y):",
              f"  U_1^-1 = (I_{heads[0]} (x) {names[2]}^-1)/sigma_1^2 + E/N_1"]
    for l in range(2, L + 1):
        lines.append(f"  N_{l} [(I_{Hs[l]} (x) {names[l + 1]}^-1)/sigma_{l}^2 - U_{l}^-1] + N_{l - 1} [{Hs[l - 1]} "
                     f"U_{l}^-1 - U_{l}^-1 trace_h(U_{l - 1}) U_{l}^-1 / sigma_{l - 1}^2] = 0")
    lines += [f"  U_a = {sp.sstr(eq.readout_overlap)}   (SymPy; N_L, H_L, sigma_L2 = N_{L}, H_{L}, sigma_{L}^2; trU_L = Tr U_{L})",
              "", "solver: L-BFGS on Cholesky factors (exact gradient) from the GP point "
              "U_1 = sigma_a^2 sigma_L^2 ... sigma_1^2 I, random restarts, Newton polish, Hessian check",
              "observables: U, predictor mean/variance, test MSE, eps_g, accuracy, kernel-task "
              "alignment, head scores -- theory and GP limit side by side"]
    return "\n".join(lines)


def show_latex(eq: KernelEquations) -> str:
    return "\n".join([
        r"S = \sum_{\ell=1}^{L+1} N_\ell s_\ell + \ln\det(K_U + T I) + y^\top (K_U + T I)^{-1} y",
        r"s_\ell = \frac{1}{\sigma_\ell^2}\mathrm{Tr}\big[(I_{H_\ell}\otimes U_{\ell+1}^{-1})U_\ell\big]"
        r" - \ln\det U_\ell + H_\ell \ln\det U_{\ell+1}",
        r"K_U^{\mu\nu} = \sum_{\pi\pi'} U_{\pi\pi'} C_{\pi\pi'}^{\mu\nu}",
        r"U_a = " + sp.latex(eq.readout_overlap)])


def describe(cm: CheckedModel, eq: KernelEquations) -> dict:
    return {
        "model": eq.model, "theory": "kernel", "params": list(eq.params), "int_params": [],
        "blocks": [], "observables": OBSERVABLES, "algorithm": "bayes",
        "layers": [[{"name": h.name, "mixing": h.mixing, "matrix": h.matrix, "options": list(h.options)}
                    for h in layer] for layer in eq.layers],
        "readout": eq.readout, "data": list(eq.data), "spans": {k: list(v) for k, v in eq.spans},
        "show_text": show_text(eq), "show_latex": show_latex(eq), "ir_digest": eq.digest(),
    }


def simulator(cm: CheckedModel) -> tuple[str, dict]:
    """No generated simulator: `statc check` for kernel models (posterior sampling of the
    finite network) is not implemented yet."""
    return "", {"kind": "kernel"}
