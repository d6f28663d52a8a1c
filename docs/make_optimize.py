"""docs/opt_<model>.png: optimal protocols found by `statc optimize`.

    python docs/make_optimize.py [lr_schedule dropout curriculum continual]

For each model, the control block of ``models/<model>.model`` is optimised
exactly as ``statc optimize models/<model>.model`` does, and the schedule with
its learning curve (against the best constant protocol) is drawn.
"""
from __future__ import annotations

import sys
from pathlib import Path

import statc
from statc.runtime.control import optimize as opt
from statc.runtime.control.problem import build_problem

HERE = Path(__file__).resolve().parent
MODELS = ("lr_schedule", "dropout", "curriculum", "continual", "dae")


def main(names) -> None:
    for name in names:
        m = statc.load(HERE.parent / "models" / f"{name}.model")
        p = build_problem(m.compiled)
        res = opt.optimize(p)
        opt.plot(HERE / f"opt_{name}.png", p, res,
                 f"{name}: optimum {res.objective:.5g}, best constant {res.constant_objective:.5g}"
                 + "".join(f", {k} {v:.5g}" for k, v in res.baselines.items() if k != "file_schedule"))
        print(f"{name}: optimum {res.objective:.6g}; best constant {res.constant_objective:.6g}; "
              f"baselines {res.baselines}")


if __name__ == "__main__":
    main(sys.argv[1:] or MODELS)
