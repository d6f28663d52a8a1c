"""The sweep's output directory: one folder per finished point, and ``results.csv``.

Layout of ``OUT``::

    OUT/results.csv            one row per finished point (grid order)
    OUT/sweep.json             the sweep's command, options and grid
    OUT/points/<key>/          the command's usual outputs + point.json

A point's folder is written under a temporary name and renamed into place when
complete, so a folder named by a key is always whole: an interrupted sweep
leaves only ``.tmp-*`` folders, which the next run removes.  The key is a hash
of (model text, parameters, command, options), so a re-run finds the points
already done and a changed option starts fresh points.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import uuid
from pathlib import Path

from statc.atomic import write_bytes

POINT_FILE = "point.json"
FIXED_COLUMNS = ("status", "error", "seconds", "key")


def point_key(model_text: str, params: dict[str, float], command: str, options: list[str]) -> str:
    """A hash naming one point: the same inputs give the same folder."""
    blob = json.dumps({"model": hashlib.sha256(model_text.encode()).hexdigest(),
                       "params": {k: repr(float(v)) for k, v in sorted(params.items())},
                       "command": command, "options": list(options)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class Store:
    """Reads and writes one sweep directory; only the client process writes."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.points = self.out / "points"

    def prepare(self) -> None:
        """Create the folders and remove what an interrupted run left half-written."""
        self.points.mkdir(parents=True, exist_ok=True)
        for p in self.points.glob(".tmp-*"):
            shutil.rmtree(p, ignore_errors=True)

    def record(self, key: str) -> dict | None:
        """The finished point's record, or None when it is not (completely) there."""
        f = self.points / key / POINT_FILE
        try:
            return json.loads(f.read_text())
        except (OSError, ValueError):
            return None

    def save(self, key: str, files: dict[str, bytes], record: dict) -> None:
        """Write a point's files and record under a temporary name, then rename it into place."""
        tmp = self.points / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        for rel, data in files.items():
            target = (tmp / rel).resolve()
            if tmp.resolve() not in target.parents:
                continue        # a worker's file name never leaves its point folder
            write_bytes(target, data)
        write_bytes(tmp / POINT_FILE, (json.dumps(record, indent=2) + "\n").encode())
        final = self.points / key
        if final.exists():      # a failed point run again: replace it
            old = self.points / f".tmp-old-{key}-{uuid.uuid4().hex[:8]}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)

    def write_results(self, rows: list[dict]) -> None:
        """``results.csv`` (atomically): parameters, results, then status, error, seconds, key."""
        names: list[str] = []
        for r in rows:
            for k in r:
                if k not in names and k not in FIXED_COLUMNS:
                    names.append(k)
        names += list(FIXED_COLUMNS)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=names, lineterminator="\n", restval="")
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})
        write_bytes(self.out / "results.csv", buf.getvalue().encode())


def results_of(command: str, files: dict[str, bytes]) -> dict[str, float | str]:
    """The numbers a row of ``results.csv`` shows for one point's outputs."""
    def load(name):
        return json.loads(files[name]) if name in files else None
    if command == "run":
        s = load("summary.json")
        return dict(s["final"]) if s else {}
    if command == "check":
        s = load("check.json")
        if not s:
            return {}
        return {"passed": int(bool(s["passed"])), "conclusive": int(bool(s["conclusive"])),
                "worst_z": s["worst"]["z"], "worst_abs_err": s["worst"]["abs_err"],
                "worst_quantity": s["worst"]["quantity"]}
    if command == "optimize":
        s = load("summary.json")
        if not s:
            return {}
        out = {"objective": s["objective"], "constant_objective": s["best_constant"]["objective"]}
        out.update({f"final_{k}": v for k, v in s.get("final_controls", {}).items()})
        return out
    return {}
