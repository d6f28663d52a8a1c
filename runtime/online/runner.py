"""`statc run`: parameters → initial state → integration → trajectory + summary."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from statc.dsl import StatcError
from statc.dsl.evaluate import evaluate
from statc.dsl.values import check_values

from statc.compiler import parallel_jit
from statc.runtime import params as params_mod
from .initial import initial_state
from .layout import make_layout
from statc.runtime.results import plot_learning_curve, write_csv, write_json
from statc.runtime.schedule import from_csv, from_model, params_at, segments
from .solve import RunOptions, Trajectory, integrate, observables, trajectory


def options_from_model(model, values: dict[str, float]) -> RunOptions:
    """Run options declared in the file's `run` block."""
    opts = RunOptions()
    r = model.run
    if r is None:
        return opts
    if r.t0 is not None:
        opts.t0 = evaluate(r.t0, values)
        opts.t_end = evaluate(r.t1, values)
    if r.record is not None:
        opts.record = (r.record_mode or "linear", int(evaluate(r.record, values)))
    for o in r.options:
        if o.name == "method":
            opts.method = o.value.name
        else:
            setattr(opts, o.name, evaluate(o.value, values))
    return opts


def model_schedules(compiled, values: dict[str, float], extra=None) -> dict:
    """Schedules of the file, updated by a CSV path or a dict."""
    scheds = from_model(compiled.model, values)
    if extra is not None:
        if not isinstance(extra, dict):
            extra = from_csv(extra, compiled.meta["params"], compiled.meta["int_params"])
        scheds.update(extra)
    # every scheduled value obeys the rules its parameter obeys (a probability stays in [0, 1])
    check_values(compiled.model, [], values, schedules=scheds)
    return scheds


def parse_record(text: str) -> tuple[str, int]:
    """``"log 200"``, ``"linear 50"`` or ``"100"`` (linear)."""
    parts = text.split()
    try:
        if len(parts) == 1:
            return "linear", int(parts[0])
        if len(parts) == 2 and parts[0] in ("log", "linear"):
            return parts[0], int(parts[1])
    except ValueError:
        pass
    raise StatcError(f"bad --record value `{text}`", expected="`log N`, `linear N` or `N`",
                     hint="e.g. `--record 'log 200'`")


def run(compiled, overrides: dict[str, float] | None = None, *, t_end: float | None = None,
        record: tuple[str, int] | None = None, method: str | None = None, rtol: float | None = None,
        atol: float | None = None, dt: float | None = None, init_N: int = 1000, seed: int | None = 0,
        init_from: str | Path | None = None, y0: np.ndarray | None = None,
        times: np.ndarray | None = None, schedule: str | Path | dict | None = None) -> Trajectory:
    """Integrate a compiled model and return its trajectory.

    ``schedule``: a CSV path or ``{param: [(start, end, value), ...]}``; it
    adds to (and overrides) the schedules written in the file.
    """
    t_start = time.perf_counter()
    meta = compiled.meta
    values = params_mod.resolve(compiled.model, meta, overrides or {})
    P = params_mod.vector(meta, values)
    layout = make_layout(meta, values)
    opts = options_from_model(compiled.model, values)
    changes = {k: v for k, v in dict(t_end=t_end, record=record, method=method, rtol=rtol,
                                     atol=atol, dt=dt).items() if v is not None}
    opts = replace(opts, **changes)
    if y0 is None:
        y0 = initial_state(compiled, layout, values, P, init_N=init_N, seed=seed, from_csv=init_from)
    scheds = model_schedules(compiled, values, schedule)
    t_last = float(times[-1]) if times is not None else opts.t_end
    seg_t, seg_P = segments(meta["params"], values, scheds, opts.t0, t_last)
    # with STATC_JIT_WORKERS set: a large model's forward term chunks compiled by worker processes
    parallel_jit.prewarm(compiled.module, meta["blocks"], "_terms_")
    t0 = time.perf_counter()
    t, Y, info = integrate(compiled.module, layout, y0, P, opts, seg_t=seg_t, seg_P=seg_P, times=times)
    # parameters in force at each recorded time, by the rule the simulator uses too
    rows = np.array([params_at(meta["params"], values, scheds, float(tt)) for tt in t])
    obs = observables(compiled.module, meta, t, Y, P, rows=rows)
    for name in scheds:
        obs[name] = rows[:, meta["params"].index(name)]
    t1 = time.perf_counter()
    info.update(integrate_s=t1 - t0, total_s=t1 - t_start, params=values,
                options={"t0": opts.t0, "t_end": opts.t_end, "record": list(opts.record),
                         "method": opts.method, "rtol": opts.rtol, "atol": opts.atol, "dt": opts.dt,
                         "init_N": init_N, "seed": seed,
                         "init_from": str(init_from) if init_from else None},
                schedules={k: [list(p) for p in v] for k, v in scheds.items()})
    return Trajectory(trajectory(layout, t, Y, obs), info)


def write_outputs(out: Path, compiled, traj: Trajectory, plot: bool = False) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "trajectory.csv", traj.columns)
    final = {n: float(traj[n][-1]) for n in compiled.meta["observables"]}
    summary = {
        "model": compiled.meta["model"], "model_hash": compiled.meta["model_key"],
        "kernel_hash": compiled.meta["kernel_key"], "theory": compiled.meta["theory"],
        "params": traj.info["params"], "options": traj.info["options"],
        "final": final, "t_final": float(traj["t"][-1]),
        "timings": {"compile": compiled.timings, "integrate_s": traj.info["integrate_s"],
                    "total_s": traj.info["total_s"], "cache_hit": compiled.cache_hit},
        "solver": {"rhs_evaluations": traj.info["rhs_evaluations"], "steps": traj.info["steps"]},
        "schedules": traj.info["schedules"],
    }
    write_json(out / "summary.json", summary)
    if plot:
        for name in compiled.meta["observables"]:
            plot_learning_curve(out / f"{name}.png", traj["t"], traj[name], name,
                                f"{compiled.meta['model']}")
