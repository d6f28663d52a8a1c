# Two commands on a fresh machine:
#   make run    — set up a local venv, install statc, run the reference model
#   make test   — set up the same venv and run the test suite
PY ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

$(BIN)/statc: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(BIN)/statc

.PHONY: install run test test-slow bench
install: $(BIN)/statc

run: install
	$(BIN)/statc run models/saad_solla.model --out runs/saad_solla --plot

test: install
	$(BIN)/python -m pytest -q -n 2 --dist worksteal --durations=60

test-slow: install
	$(BIN)/pip install -q -e ".[test,sampling]"   # numpyro/jax: NUTS check of kernel models
	$(BIN)/python -m pytest -q -m slow

bench: install
	$(BIN)/python benchmarks/bench_rhs.py
	$(BIN)/python benchmarks/bench_compile.py
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_optimize.py
	$(BIN)/python benchmarks/bench_kernel.py
	$(BIN)/python benchmarks/bench_quadrature.py
	$(BIN)/python benchmarks/bench_step.py
	$(BIN)/python benchmarks/bench_static.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_dmft.py
	$(BIN)/python benchmarks/bench_multiclass.py
	$(BIN)/python benchmarks/bench_derive.py
