"""The ``static`` theory kind, numerical side (STATIC.md §3–8): the replica
fixed point of convex ERM (:mod:`.erm`), Bayes-optimal state evolution
(:mod:`.bayes`), α-continuation (:mod:`.continuation`) and the finite-size
check that trains the same estimator on data (:mod:`.finite`)."""
