"""A regular (non-editable) install works from any directory.

With ``pip install .`` (not ``-e``), Python started in the repository root
finds the local ``statc/`` folder before the installed package (the current
directory comes first on ``sys.path``); the subpackages are siblings of that
folder (``dsl/``, ``compiler/``, ``runtime/``), so ``import statc.dsl`` must
still work there, and anywhere else the installed copy must be complete.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: imports every package and parses a model (the grammar is package data)
PROBE = ("import statc, statc.dsl, statc.compiler.build, statc.runtime.online.solve, statc.cli; "
         "statc.dsl.parse_file('linear_regression.model'); print(statc.dsl.__file__)")


def _tracked_copy(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


@pytest.mark.slow
def test_regular_install_imports_from_the_repository_root_and_elsewhere(tmp_path):
    src = tmp_path / "src"
    _tracked_copy(src)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
                   check=True, capture_output=True)
    wheel, = wheels.glob("statc-*.whl")
    # a bare environment: the wheel plus this environment's dependencies, but not its
    # editable-install finder (a path listed in a .pth file does not run that folder's .pth files)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                   "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    deps = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    (purelib / "deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(purelib),
                    str(wheel)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    python = str(venv / "bin" / "python")
    # in the repository root: the local folder is imported and its siblings are the subpackages
    shutil.copy(src / "models" / "linear_regression.model", src)
    shutil.copy(src / "models" / "linear_regression.model", tmp_path)
    here = subprocess.run([python, "-c", PROBE], cwd=src, env=env, capture_output=True, text=True)
    assert here.returncode == 0, here.stderr
    assert Path(here.stdout.strip()) == src / "dsl" / "__init__.py"
    # anywhere else: the installed package, complete
    elsewhere = subprocess.run([python, "-c", PROBE],
                               cwd=tmp_path, env=env, capture_output=True, text=True)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert Path(elsewhere.stdout.strip()) == purelib / "statc" / "dsl" / "__init__.py"
