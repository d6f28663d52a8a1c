"""Model IR → the finite-N simulator of the same model (Numba source text).

The simulator runs the *microscopic* rule of the `.model` file — it never
sees the Equation IR, the Gaussian atoms or the ODE right-hand side:

* draw every input x ~ N(0, var·I_N) and every random scalar;
* fields λ = u_a·x/√N for every vector and input;
* φ_{a x} = −lr ∂L/∂λ^{u x}_a and −lr ∂L/∂θ_a by SymPy differentiation of the
  loss (the update rule itself, evaluated on the sample);
* u_a ← (1 − lr·decay/N) u_a + φ_{a x} x/√N,  θ_a ← θ_a − (lr/N)(∂L/∂θ_a + decay θ_a);
* observables ``mean(...)`` are averages over fresh held-out samples.

Per step the work is O(N·(number of vectors)), with no temporary arrays.
"""
from __future__ import annotations

from pathlib import Path

import sympy as sp

from .printer import KernelPrinter
from statc.compiler.gaussian.expand import Expander, collapse_delta_sums, outer_sum
from statc.compiler.ir.model_ir import ModelIR
from statc.compiler.ir.symbols import DIM, NORM, Mean
from statc.compiler.online.update_rules import Prepared, rule_for, trained

_TEMPLATES = Path(__file__).with_name("templates")


def _code_name(label: str) -> str:
    return label.replace(".", "_")


def _outer_sums(e: sp.Expr):
    """Sums not nested inside another sum, in order of appearance."""
    if isinstance(e, sp.Sum):
        yield e
        return
    for a in e.args:
        yield from _outer_sums(a)


class SimPrinter(KernelPrinter):
    """Prints sample-level expressions; sums become calls of generated helpers."""

    def __init__(self, params: set[str], arrays: dict[str, str], writer: "_SimWriter"):
        super().__init__(params)
        self.array_names = arrays
        self.writer = writer

    def _print_Indexed(self, e):
        name = self.array_names.get(str(e.base.label), str(e.base.label))
        return f"{name}[{', '.join(self._index(i) for i in e.indices)}]"

    def _print_Sum(self, e):
        return self.writer.sum_helper(e)

    def _print_Symbol(self, s):
        if s == DIM:
            return "DIM[0]"          # the simulator's own N
        return super()._print_Symbol(s)


class _SimWriter:
    def __init__(self, ir: ModelIR):
        self.ir = ir
        self.expander = Expander(set())
        self.lines: list[str] = []
        self.helpers: list[str] = []
        self.n_helpers = 0
        arrays = {}
        for (vec, inp), base in ir.fields.items():
            arrays[str(base.label)] = f"F_{vec}_{inp}"
        for f in ir.families.values():
            if f.kind == "scalar":
                arrays[f.name] = f"S_{f.name}"
            elif f.kind == "random":
                arrays[f.name] = f"Z_{f.name}"
        self.overlaps = sorted(set(ir.overlaps.values()))
        for base, (u, w) in ir.overlaps.items():
            arrays[str(base.label)] = f"OV_{u}_{w}"
        arrays[str(NORM.label)] = "NR"
        self.norms = ir.uses_norms          # x_r·x_s/N per sample and N itself are needed
        self.printer = SimPrinter(set(ir.params), arrays, self)
        self.param_index = {p: i for i, p in enumerate(ir.params)}
        self.vectors = [f.name for f in ir.vectors]
        self.scalars = [f.name for f in ir.scalars]
        self.randoms = [f.name for f in ir.randoms]
        self.fields = [(v, x) for v in self.vectors for x in ir.inputs]
        self.sample_args = ([f"F_{v}_{x}" for v, x in self.fields] + [f"S_{s}" for s in self.scalars]
                            + [f"Z_{r}" for r in self.randoms]
                            + [f"OV_{u}_{w}" for u, w in self.overlaps]
                            + (["NR", "DIM"] if self.norms else []))
        self.trained_vectors = [v for v in self.vectors if trained(ir, v)]
        self.trained_scalars = [s for s in self.scalars if trained(ir, s)]

    # ------------------------------------------------------------------ bits
    def unpack(self, indent: str, expr_symbols) -> list[str]:
        names = {s.name for s in expr_symbols}
        out = [f"{indent}p_{p} = P[{i}]" for p, i in self.param_index.items() if p in names]
        out += [f"{indent}n_{p} = int(P[{self.param_index[p]}] + 0.5)"
                for p in sorted(self.ir.int_params)]
        return out

    def sum_helper(self, e: sp.Sum) -> str:
        body, (j, lo, hi) = outer_sum(e)
        free = sorted((s for s in e.free_symbols if s.is_integer and s.name not in self.ir.params),
                      key=lambda s: s.name)
        name = f"_sim_sum_{self.n_helpers}"
        self.n_helpers += 1
        args = ["P"] + self.sample_args + [f"i_{s.name}" for s in free]
        code = [f"@njit(cache=True)", f"def {name}({', '.join(args)}):"]
        code += self.unpack("    ", body.free_symbols | hi.free_symbols)
        code.append("    acc = 0.0")
        size = sp.simplify(hi - lo + 1)
        count = str(int(size)) if size.is_Integer else f"n_{size.name}"
        code.append(f"    for i_{j.name} in range({int(lo)}, {int(lo)} + {count}):")
        code.append(f"        acc += {self.printer.doprint(body)}")
        code.append("    return acc")
        self.helpers.append("\n".join(code) + "\n")
        return f"{name}({', '.join(args)})"

    def expr_function(self, name: str, e: sp.Expr, free: list[str]) -> None:
        """A sample-level function; repeated subexpressions (sums) computed once."""
        args = ["P"] + self.sample_args + [f"i_{f}" for f in free]
        e = collapse_delta_sums(e)
        outer = list(dict.fromkeys(_outer_sums(e)))
        temps = {s: sp.Symbol(f"_t{k}") for k, s in enumerate(outer)}
        code = [f"@njit(cache=True)", f"def {name}({', '.join(args)}):"]
        code += self.unpack("    ", e.free_symbols)
        code += [f"    t{k} = {self.printer.doprint(s)}" for k, s in enumerate(outer)]
        red = self.printer.doprint(e.xreplace(temps))
        for k in range(len(outer)):
            red = red.replace(f"i__t{k}", f"t{k}")
        code.append(f"    return {red}")
        self.helpers.append("\n".join(code) + "\n")

    # --------------------------------------------------------------- module
    def module(self) -> str:
        ir = self.ir
        rule = rule_for(ir)
        fresh = self.expander.freshen
        prep = Prepared(fresh(ir.loss_outputs),
                        {s: fresh(e) for s, e in ir.output_values().items()}, fresh)
        grads = []
        self.psi = {}
        for v in self.trained_vectors:
            fam = ir.families[v]
            a = fam.index_symbol
            for x in ir.inputs:
                g = rule.vector_step(ir, prep, v, x, a)
                name = f"_sim_phi_{v}_{x}"
                self.expr_function(name, g, [a.name])
                grads.append(("vector", v, x, name))
            self.psi[v] = []
            for n, d in enumerate(rule.vector_along(ir, prep, v, a)):
                name = f"_sim_psi_{v}_{n}"
                self.expr_function(name, d.coef, [a.name] + [j.name for j, _ in d.sums])
                self.psi[v].append((name, d))
        for s in self.trained_scalars:
            fam = ir.families[s]
            a = fam.index_symbol
            g = rule.scalar_step(ir, prep, s, a)
            name = f"_sim_dtheta_{s}"
            self.expr_function(name, g, [a.name])
            grads.append(("scalar", s, None, name))
        means = []
        for k, (oname, e) in enumerate(ir.observables.items()):
            mlist = sorted(e.atoms(Mean), key=str)
            for j, m in enumerate(mlist):
                fname = f"_sim_mean_{k}_{j}"
                self.expr_function(fname, self.expander.freshen(m.args[0]), [])
                means.append((fname, m.given))
        self.lines.append("# ---- simulator (generated from the Model IR) ----")
        self.lines.extend(self.helpers)
        self.lines.append(self.steps_function(grads))
        self.lines.append(self.measure_function(means))
        self.lines.append(self.observables_function())
        return "\n".join(self.lines) + "\n"

    def _draw_body(self, indent: str) -> list[str]:
        ir = self.ir
        out = []
        for x, inp in ir.inputs.items():
            out.append(f"{indent}fill_normal(rs, X_{x}, sd_{x})")
        for v, x in self.fields:
            out.append(f"{indent}field_dots(U_{v}, X_{x}, F_{v}_{x}, inv_sqrt_n)")
        for u, w in self.overlaps:
            out.append(f"{indent}overlap_dots(U_{u}, U_{w}, OV_{u}_{w}, 1.0 / n)")
        out += self._norm_lines(indent, "X_", "NR")
        for r in self.randoms:
            fam = ir.families[r]
            if fam.dist in ("bernoulli", "rademacher"):
                low = "0.0" if fam.dist == "bernoulli" else "-1.0"
                out.append(f"{indent}for a in range(Z_{r}.shape[0]):")
                out.append(f"{indent}    Z_{r}[a] = 1.0 if rand_uniform(rs) < pr_{r} else {low}")
            else:
                out.append(f"{indent}fill_normal(rs, Z_{r}, sd_{r})")
        return out

    def _norm_lines(self, indent: str, prefix: str, target: str) -> list[str]:
        """target[r, s] = x_r·x_s/N for base inputs r ≤ s (squared norms)."""
        if not self.norms:
            return []
        names = list(self.ir.inputs)
        out = []
        for r in range(len(names)):
            for s in range(r, len(names)):
                out.append(f"{indent}acc = 0.0")
                out.append(f"{indent}for i in range(n):")
                out.append(f"{indent}    acc += {prefix}{names[r]}[i] * {prefix}{names[s]}[i]")
                out.append(f"{indent}{target}[{r}, {s}] = acc / n")
        return out

    def _prologue(self, indent: str, extra=()) -> list[str]:
        ir = self.ir
        out = [f"{indent}n = X_{next(iter(ir.inputs))}.shape[0]",
               f"{indent}inv_sqrt_n = 1.0 / math.sqrt(n)"]
        syms = set(extra)
        for inp in ir.inputs.values():
            syms |= inp.var.free_symbols
        for r in self.randoms:
            fam = ir.families[r]
            syms |= fam.arg("p", sp.S.Half).free_symbols | fam.arg("var", sp.S.One).free_symbols
        for tr in ir.trains.values():
            syms |= tr.lr.free_symbols | tr.decay.free_symbols
        out += self.unpack(indent, syms)
        for x, inp in ir.inputs.items():
            out.append(f"{indent}sd_{x} = math.sqrt({self.printer.doprint(inp.var)})")
        for r in self.randoms:
            fam = ir.families[r]
            if fam.dist in ("bernoulli", "rademacher"):
                out.append(f"{indent}pr_{r} = {self.printer.doprint(fam.arg('p', sp.S.Half))}")
            else:
                out.append(f"{indent}sd_{r} = math.sqrt({self.printer.doprint(fam.arg('var', sp.S.One))})")
        return out

    def buffers(self) -> list[str]:
        return ([f"U_{v}" for v in self.vectors] + [f"X_{x}" for x in self.ir.inputs]
                + self.sample_args)

    def steps_function(self, grads) -> str:
        ir = self.ir
        gbufs = [f"G_{v}_{x}" for kind, v, x, _ in grads if kind == "vector"]
        dbufs = [f"D_{s}" for kind, s, _, _ in grads if kind == "scalar"]
        trained = self.trained_vectors
        acc = [f"DU_{v}" for v in trained] + [f"DS_{d[2:]}" for d in dbufs]
        has_psi = any(self.psi.get(v) for v in trained)
        args = ["n_steps", "P", "rs"] + self.buffers() + gbufs + dbufs + acc
        rule = rule_for(ir)
        out = ["@njit(cache=True)", f"def sim_steps({', '.join(args)}):",
               '    """n_steps SGD steps, each on a batch of fresh samples (t = steps / N)."""']
        out += self._prologue("    ", ir.batch.free_symbols)
        out.append(f"    n_batch = int({self.printer.doprint(ir.batch)} + 0.5)")
        out.append("    inv_b = 1.0 / n_batch")
        for v in trained:
            out.append(f"    keep_{v} = 1.0 + ({self.printer.doprint(rule.vector_decay(ir, v))}) / n")
        call = ", ".join(["P"] + self.sample_args)

        def sample(indent: str) -> list[str]:
            lines = self._draw_body(indent)
            for kind, v, x, fname in grads:
                buf = f"G_{v}_{x}" if kind == "vector" else f"D_{v}"
                lines.append(f"{indent}for a in range({buf}.shape[0]):")
                lines.append(f"{indent}    {buf}[a] = {fname}({call}, a)")
            return lines

        upd = {v: " + ".join(f"G_{v}_{x}[a] * inv_sqrt_n * X_{x}[i]" for x in ir.inputs) for v in trained}
        out.append("    for step in range(n_steps):")
        # accumulate-then-apply: needed for batches and for moves along vectors
        # (those must read the weights of the start of the step)
        ind = "            "
        if not has_psi:
            out.append("        if n_batch == 1:")
            out += sample("            ")
            for v in trained:
                out.append(f"            for a in range(U_{v}.shape[0]):")
                out.append(f"                for i in range(n):")
                out.append(f"                    U_{v}[a, i] = keep_{v} * U_{v}[a, i] + {upd[v]}")
            for d in dbufs:
                out.append(f"            for a in range(S_{d[2:]}.shape[0]):")
                out.append(f"                S_{d[2:]}[a] += {d}[a] / n")
            out.append("        else:")
        else:
            ind = "        "
        for a in acc:
            out.append(f"{ind}{a}[:] = 0.0")
        out.append(f"{ind}for b in range(n_batch):")
        inner = ind + "    "
        out += sample(inner)
        for v in trained:
            out.append(f"{inner}for a in range(U_{v}.shape[0]):")
            out.append(f"{inner}    for i in range(n):")
            out.append(f"{inner}        DU_{v}[a, i] += inv_b * ({upd[v]})")
            for name, d in self.psi.get(v, []):
                indent = inner + "    "
                for j, size in d.sums:
                    count = str(int(size)) if size.is_Integer else f"n_{size.name}"
                    out.append(f"{indent}for i_{j.name} in range({count}):")
                    indent += "    "
                idx = self.printer._index(d.index) if d.index is not None else "0"
                jargs = "".join(f", i_{j.name}" for j, _ in d.sums)
                out.append(f"{indent}c = inv_b * {name}({call}, a{jargs}) / n")
                out.append(f"{indent}i_{ir.families[v].index_symbol.name} = a")
                out.append(f"{indent}for i in range(n):")
                out.append(f"{indent}    DU_{v}[a, i] += c * U_{d.name}[{idx}, i]")
        for d in dbufs:
            out.append(f"{inner}for a in range({d}.shape[0]):")
            out.append(f"{inner}    DS_{d[2:]}[a] += inv_b * {d}[a]")
        for v in trained:
            out.append(f"{ind}for a in range(U_{v}.shape[0]):")
            out.append(f"{ind}    for i in range(n):")
            out.append(f"{ind}        U_{v}[a, i] = keep_{v} * U_{v}[a, i] + DU_{v}[a, i]")
        for d in dbufs:
            out.append(f"{ind}for a in range(S_{d[2:]}.shape[0]):")
            out.append(f"{ind}    S_{d[2:]}[a] += DS_{d[2:]}[a] / n")
        return "\n".join(out) + "\n"

    def measure_function(self, means: list) -> str:
        """Held-out averages.  Inputs and random scalars are drawn once per sample
        in standard form, then scaled for each mean under its own ``given``
        values (which may change input variances or mask probabilities)."""
        ir = self.ir
        args = ["n_test", "P", "rs"] + self.buffers() + ["out"]
        out = ["@njit(cache=True)", f"def sim_measure({', '.join(args)}):",
               '    """Averages of every mean(...) over n_test fresh held-out samples."""']
        syms = set()
        for _, given in means:
            for inp in ir.inputs.values():
                syms |= inp.var.xreplace(given).free_symbols
            for r in self.randoms:
                fam = ir.families[r]
                syms |= fam.arg("p", sp.S.Half).xreplace(given).free_symbols
                syms |= fam.arg("var", sp.S.One).xreplace(given).free_symbols
        out += self._prologue("    ", syms)
        for v, x in self.fields:
            out.append(f"    FU_{v}_{x} = np.empty_like(F_{v}_{x})")
        for r in self.randoms:
            out.append(f"    ZU_{r} = np.empty_like(Z_{r})")
        if self.norms:
            out.append("    NRU = np.empty_like(NR)")
        for u, w in self.overlaps:      # the weights do not move while measuring
            out.append(f"    overlap_dots(U_{u}, U_{w}, OV_{u}_{w}, 1.0 / n)")
        out.append("    for j in range(out.shape[0]):")
        out.append("        out[j] = 0.0")
        out.append("    for sample in range(n_test):")
        for x in ir.inputs:
            out.append(f"        fill_normal(rs, X_{x}, 1.0)")
        for v, x in self.fields:
            out.append(f"        field_dots(U_{v}, X_{x}, FU_{v}_{x}, inv_sqrt_n)")
        out += self._norm_lines("        ", "X_", "NRU")
        for r in self.randoms:
            if ir.families[r].dist in ("bernoulli", "rademacher"):
                out.append(f"        for a in range(ZU_{r}.shape[0]):")
                out.append(f"            ZU_{r}[a] = rand_uniform(rs)")
            else:
                out.append(f"        fill_normal(rs, ZU_{r}, 1.0)")
        call = ", ".join(["P"] + self.sample_args)
        for j, (fname, given) in enumerate(means):
            for v, x in self.fields:
                sd = self.printer.doprint(sp.sqrt(ir.inputs[x].var.xreplace(given)))
                out.append(f"        sd = {sd}")
                out.append(f"        for a in range(F_{v}_{x}.shape[0]):")
                out.append(f"            F_{v}_{x}[a] = sd * FU_{v}_{x}[a]")
            if self.norms:
                names = list(ir.inputs)
                sds = [self.printer.doprint(sp.sqrt(ir.inputs[x].var.xreplace(given))) for x in names]
                for r in range(len(names)):
                    for s_ in range(r, len(names)):
                        out.append(f"        NR[{r}, {s_}] = ({sds[r]}) * ({sds[s_]}) * NRU[{r}, {s_}]")
            for r in self.randoms:
                fam = ir.families[r]
                if fam.dist in ("bernoulli", "rademacher"):
                    pr = self.printer.doprint(fam.arg("p", sp.S.Half).xreplace(given))
                    low = "0.0" if fam.dist == "bernoulli" else "-1.0"
                    out.append(f"        pr = {pr}")
                    out.append(f"        for a in range(Z_{r}.shape[0]):")
                    out.append(f"            Z_{r}[a] = 1.0 if ZU_{r}[a] < pr else {low}")
                else:
                    sd = self.printer.doprint(sp.sqrt(fam.arg("var", sp.S.One).xreplace(given)))
                    out.append(f"        sd = {sd}")
                    out.append(f"        for a in range(Z_{r}.shape[0]):")
                    out.append(f"            Z_{r}[a] = sd * ZU_{r}[a]")
            out.append(f"        out[{j}] += {fname}({call})")
        out.append("    for j in range(out.shape[0]):")
        out.append("        out[j] /= n_test")
        return "\n".join(out) + "\n"

    def observables_function(self) -> str:
        """Observables from the sample means (the same arithmetic the file states)."""
        ir = self.ir
        out = ["def sim_observables(P, means, scalars, overlaps):", "    out = []", "    j = 0"]
        for oname, e in ir.observables.items():
            mlist = sorted(e.atoms(Mean), key=str)
            subs = {m: sp.Symbol(f"m{k}", real=True) for k, m in enumerate(mlist)}
            expr = e.xreplace(subs)
            for k in range(len(mlist)):
                out.append(f"    mean_{k} = means[j + {k}]")
            for f in ir.scalars:
                out.append(f"    S_{f.name} = scalars[{f.name!r}]")
            for base in sorted(expr.atoms(sp.IndexedBase), key=str):
                if base in ir.overlaps:
                    u, w = ir.overlaps[base]
                    out.append(f"    OV_{u}_{w} = overlaps[{(u + ':' + w)!r}]")
            out += self.unpack("    ", expr.free_symbols)
            out.append(f"    out.append(float({self.printer.doprint(expr)}))")
            out.append(f"    j += {len(mlist)}")
        out.append("    return out")
        return "\n".join(out) + "\n"


def generate_sim(ir: ModelIR) -> tuple[str, dict]:
    """Simulator source and the buffer layout the runtime must allocate."""
    for v in ir.vectors:
        for x in ir.inputs:
            ir.field_base(v, x)
    w = _SimWriter(ir)
    src = ((_TEMPLATES / "random.py").read_text() + "\n" + w.module() + "\n\n"
           + (_TEMPLATES / "drift.py").read_text())
    size = lambda s: int(s) if s.is_Integer else str(s)   # noqa: E731
    layout = {
        "vectors": [{"name": v, "size": size(ir.families[v].size)} for v in w.vectors],
        "inputs": list(ir.inputs),
        "fields": [{"vector": v, "input": x} for v, x in w.fields],
        "scalars": [{"name": s, "size": size(ir.families[s].size)} for s in w.scalars],
        "randoms": [{"name": r, "size": size(ir.families[r].size)} for r in w.randoms],
        "grads": [{"vector": v, "input": x} for v in w.trained_vectors for x in ir.inputs],
        "dthetas": w.trained_scalars,
        "trained_vectors": w.trained_vectors,
        "overlaps": [list(o) for o in w.overlaps],
        "norms": bool(w.norms),
        "n_means": sum(len(e.atoms(Mean)) for e in ir.observables.values()),
    }
    return src, layout


def simulator(cm) -> tuple[str, dict]:
    """The online kind's ``simulator`` column: simulator source and buffer layout,
    from a fresh Model IR (never from the equations)."""
    from statc.compiler.ir.model_ir import lower
    return generate_sim(lower(cm))
