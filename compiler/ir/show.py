"""Readable renderings of the derived equations (text and LaTeX)."""
from __future__ import annotations

import sympy as sp

from .equation_ir import ArgQuadrature, EquationIR, KinkAtom, Quadrature, StateBlock


def _rename(e: sp.Expr) -> sp.Expr:
    """Show state arrays under their user names (S_Q -> Q)."""
    repl = {}
    for i in e.atoms(sp.Indexed):
        name = str(i.base.label)
        if name.startswith("S_"):
            repl[i.base] = sp.IndexedBase(name[2:])
    return e.xreplace(repl)


def _summed(terms) -> sp.Expr:
    total = sp.S.Zero
    for t in terms:
        body = _rename(t.display)
        for j, size in reversed(t.sums):
            body = sp.Sum(body, (j, 0, size - 1))
        total += body
    return total


def lhs(b: StateBlock) -> sp.Expr:
    shown = [i for i, on in zip(b.indices, b.indexed) if on]
    if not shown:
        return sp.Symbol(b.name)
    return sp.IndexedBase(b.name)[tuple(shown)]


def _integrand(q: Quadrature | ArgQuadrature) -> str:
    if isinstance(q, Quadrature):
        return sp.sstr(q.integrand)
    parts = [f"{k}(u{i})" for i, kinds in enumerate(q.funcs) for k in kinds]
    parts += [f"v{j}" for j in range(q.linear)]
    return "*".join(parts) + ", (u, v) ~ N(m, C)"


def _kink_integrand(q: KinkAtom) -> str:
    parts = []
    for i, (kinked, n) in enumerate(q.args):
        power = f"u{i}" if n == 1 else (f"u{i}^{n}" if n else "")
        parts.append("*".join(p for p in (power, f"step(u{i})" if kinked else "") if p))
    return "*".join(parts)


def render_text(eq: EquationIR) -> str:
    lines = [f"# model {eq.model}: online theory, {len(eq.blocks)} state blocks "
             f"(indices are 0-based in sums)"]
    for b in eq.blocks:
        if not b.evolves:
            lines.append(f"d{lhs(b)}/dt = 0")
            continue
        lines.append(f"d{lhs(b)}/dt =")
        for t in b.terms:
            body = _rename(t.display)
            sums = "".join(f"sum_{{{j}<{s}}} " for j, s in t.sums)
            where = f"[entry {tuple(i + 1 for i in t.where)}] " if t.where is not None else \
                {True: "[diagonal] ", False: "[off-diagonal] ", None: ""}[t.diagonal]
            lines.append(f"    + {where}{sums}{sp.sstr(body)}")
    for o in eq.observables:
        lines.append(f"{o.name} = {sp.sstr(_rename(o.expr))}")
        for k, terms in enumerate(o.means):
            lines.append(f"  m{k} =")
            for t in terms:
                sums = "".join(f"sum_{{{j}<{s}}} " for j, s in t.sums)
                lines.append(f"    + {sums}{sp.sstr(_rename(t.display))}")
    quads = [q for q in eq.quadratures.values() if not isinstance(q, KinkAtom)]
    kinks = [q for q in eq.quadratures.values() if isinstance(q, KinkAtom)]
    if quads:
        lines.append("# atoms without closed form (Gauss–Hermite quadrature):")
        for q in quads:
            lines.append(f"#   {q.name}: E[{_integrand(q)}], dimension {q.dim}")
    if kinks:
        lines.append("# exact kinked atoms (Stein's lemma down to orthant probabilities):")
        for q in kinks:
            lines.append(f"#   {q.name}: E[{_kink_integrand(q)}], u ~ N(0, C)")
    return "\n".join(lines)


def render_latex(eq: EquationIR) -> str:
    rows = []
    for b in eq.blocks:
        if not b.evolves:
            continue
        entries = sorted({t.where for t in b.terms if t.where is not None})
        if not entries:
            rows.append(r"\frac{d %s}{dt} &= %s" % (sp.latex(lhs(b)), sp.latex(_summed(b.terms))))
        for where in entries:          # blocks of literal size: one equation per entry
            entry = sp.IndexedBase(b.name)[tuple(i + 1 for i in where)]
            rows.append(r"\frac{d %s}{dt} &= %s" % (
                sp.latex(entry), sp.latex(_summed([t for t in b.terms if t.where == where]))))
    for o in eq.observables:
        rows.append(r"%s &= %s" % (sp.latex(sp.Symbol(o.name)), sp.latex(_rename(o.expr))))
        for k, terms in enumerate(o.means):
            rows.append(r"m_{%d} &= %s" % (k, sp.latex(_summed(terms))))
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
