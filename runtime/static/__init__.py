"""The ``static`` theory kind, numerical side (STATIC.md §3–8).

* :mod:`.erm` — the replica fixed point of convex ERM (damped Picard, learned
  bias, guards, residual history); :mod:`.channels` and :mod:`.regularisers`
  are its registries, :mod:`.quadrature` its breakpoint-aware Gaussian rule;
* :mod:`.bayes` — Bayes-optimal state evolution and its free entropy;
* :mod:`.continuation`, :mod:`.thresholds` — α-curves and bisected thresholds;
* :mod:`.finite` — the finite-size check (trains the estimator on data);
* :mod:`.amp` — the Bayes-optimal estimator at finite size (GAMP; the mixture's exact posterior);
* :mod:`.check` — `statc check` (pass rule per N and the a + c/N extrapolation);
* :mod:`.solve` — the runner-facing entry point (summary and curve).
"""
