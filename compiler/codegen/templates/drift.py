# ---- one-step drift Monte Carlo (statc template; runtime/online/rhs_check.py) ----
@njit(cache=True)
def _drift_gram(V, G):
    d, m = V.shape
    for a in range(d):
        for b in range(a, d):
            acc = 0.0
            for k in range(m):
                acc += V[a, k] * V[b, k]
            G[a, b] = acc
            G[b, a] = acc


@njit(cache=True)
def sim_drift(samples, P, rs, V, S, n, g1, g2, s1, s2, *bufs):
    """`samples` single steps of `sim_steps` from the state (V, S), each undone.

    V (vector rows) and S (scalars) are the arrays that `bufs` (the arguments
    of `sim_steps` after `rs`) view.  Accumulates Δ(u_a·u_b) = n·ΔO_ab in g1
    and its square in g2, n·Δθ in s1 and its square in s2.  The Gram matrix
    before and after a step is summed in the same order, so rows a step does
    not move give exactly 0."""
    V0 = V.copy()
    S0 = S.copy()
    d = V.shape[0]
    G0 = np.empty((d, d))
    _drift_gram(V0, G0)
    G = np.empty((d, d))
    for _ in range(samples):
        sim_steps(1, P, rs, *bufs)
        _drift_gram(V, G)
        for a in range(d):
            for b in range(d):
                x = G[a, b] - G0[a, b]
                g1[a, b] += x
                g2[a, b] += x * x
        for i in range(S.shape[0]):
            x = (S[i] - S0[i]) * n
            s1[i] += x
            s2[i] += x * x
        for a in range(d):
            for j in range(V.shape[1]):
                V[a, j] = V0[a, j]
        for i in range(S.shape[0]):
            S[i] = S0[i]
