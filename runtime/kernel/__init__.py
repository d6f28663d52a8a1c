"""The ``kernel`` theory kind, numerical side (ATTENTION.md §3–9): Bayesian deep linear
networks with fixed per-layer mixing (multi-head attention) at finite width ratio.

* :mod:`.mixing` — the registry of mixing types (softmax attention, hardmax, uniform,
  previous token, a fixed matrix) and the readout rule;
* :mod:`.paths` — attention-path features x_π, the stacked kernel factor F;
* :mod:`.levels` — the level structure (U_1 … U_L, U_a) and the Cholesky parametrisation;
* :mod:`.action` — the action S(U) and its exact gradient, index-generic in L and H_ℓ;
* :mod:`.solve` — L-BFGS from the GP point with restarts, Hessian check;
* :mod:`.predict` — predictor mean/variance and the observables;
* :mod:`.markov`, :mod:`.data` — the hidden-Markov-chain generator and `.npz` data sets;
* :mod:`.runner` — `statc run` for kernel models.
"""
