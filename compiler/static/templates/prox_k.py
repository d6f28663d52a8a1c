

@numba.njit(cache=True)
def _solve_inplace(a, x):
    """Overwrite x (K, M) with a⁻¹ x; a (K, K) is destroyed."""
    n, m = a.shape[0], x.shape[1]
    for col in range(n):
        p = col
        best = abs(a[col, col])
        for r in range(col + 1, n):
            if abs(a[r, col]) > best:
                best = abs(a[r, col])
                p = r
        if p != col:
            for j in range(n):
                a[p, j], a[col, j] = a[col, j], a[p, j]
            for j in range(m):
                x[p, j], x[col, j] = x[col, j], x[p, j]
        for r in range(col + 1, n):
            fct = a[r, col] / a[col, col]
            if fct != 0.0:
                for j in range(col, n):
                    a[r, j] -= fct * a[col, j]
                for j in range(m):
                    x[r, j] -= fct * x[col, j]
    for col in range(n - 1, -1, -1):
        for j in range(m):
            acc = x[col, j]
            for k in range(col + 1, n):
                acc -= a[col, k] * x[k, j]
            x[col, j] = acc / a[col, col]


@numba.njit(cache=True)
def _objective(i_y, h, om, Vinv):
    n = h.shape[0]
    acc = 0.0
    for a in range(n):
        for b in range(n):
            acc += (h[a] - om[a]) * Vinv[a, b] * (h[b] - om[b])
    return 0.5 * acc + loss(i_y, h)


@numba.njit(cache=True)
def _dfdomega(Hm, V, work, out):
    """out = −(I + H V)⁻¹ H."""
    K = Hm.shape[0]
    for a in range(K):
        for b in range(K):
            acc = 1.0 if a == b else 0.0
            for c in range(K):
                acc += Hm[a, c] * V[c, b]
            work[a, b] = acc
            out[a, b] = Hm[a, b]
    _solve_inplace(work, out)
    for a in range(K):
        for b in range(K):
            out[a, b] = -out[a, b]


@numba.njit(cache=True)
def prox_linear_k(omega, i_y, V, h_out, f_out, df_out):
    """The closed form when the Hessian H does not depend on h (square loss):
    h* = (I + V H)⁻¹(ω − V ∇ℓ(y, 0)), f = −∇ℓ(y, h*) = −(∇ℓ(y, 0) + H h*), ∂_ω f the same at every node."""
    n, K = omega.shape
    g = np.empty(K)
    Hm = np.empty((K, K))
    J = np.empty((K, K))
    work = np.empty((K, K))
    df = np.empty((K, K))
    h = np.empty(K)
    for a in range(K):
        h[a] = 0.0
    grad_hess(i_y, h, g, Hm)
    M = np.zeros((K, K))
    Vg = np.zeros(K)
    for a in range(K):
        M[a, a] = 1.0
        for b in range(K):
            acc = 1.0 if a == b else 0.0
            for c in range(K):
                acc += V[a, c] * Hm[c, b]
            J[a, b] = acc
            Vg[a] += V[a, b] * g[b]
    _solve_inplace(J, M)                        # M = (I + V H)⁻¹
    _dfdomega(Hm, V, work, df)
    for i in range(n):
        for a in range(K):
            acc = 0.0
            for b in range(K):
                acc += M[a, b] * (omega[i, b] - Vg[b])
            h_out[i, a] = acc
        for a in range(K):                      # ∇ℓ(h) = g₀ + H h
            acc = g[a]
            for b in range(K):
                acc += Hm[a, b] * h_out[i, b]
            f_out[i, a] = -acc
            for b in range(K):
                df_out[i, a, b] = df[a, b]
    return 0.0


@numba.njit(cache=True)
def prox_newton_k(omega, i_y, V, Vinv, h_out, f_out, df_out):
    """For every row ω of ``omega`` and the label ``i_y``: h* (``h_out``), f = −∇ℓ(y, h*)
    (``f_out``) and ∂_ω f = −(I + H V)⁻¹ H (``df_out``) by Newton with Armijo backtracking on the
    prox objective; returns the largest final |gradient|."""
    n, K = omega.shape
    g = np.empty(K)
    Hm = np.empty((K, K))
    G = np.empty((K, 1))
    J = np.empty((K, K))
    work = np.empty((K, K))
    df = np.empty((K, K))
    h = np.empty(K)
    hn = np.empty(K)
    worst = 0.0
    for i in range(n):
        om = omega[i]
        for a in range(K):
            h[a] = om[a]
        gn = 0.0
        for it in range(200):
            grad_hess(i_y, h, g, Hm)
            gn = 0.0
            for a in range(K):
                acc = g[a]
                for b in range(K):
                    acc += Vinv[a, b] * (h[b] - om[b])
                    J[a, b] = Vinv[a, b] + Hm[a, b]
                G[a, 0] = acc
                gn = max(gn, abs(acc))
            if gn < 1e-12:
                break
            for a in range(K):
                g[a] = G[a, 0]                      # ∇F, kept for the slope
            _solve_inplace(J, G)                    # G ← J⁻¹ ∇F (the Newton step is −G)
            if gn < 1e-6:                           # quadratic-convergence region: full steps
                for a in range(K):
                    h[a] -= G[a, 0]
                continue
            F0 = _objective(i_y, h, om, Vinv)
            # the directional derivative along −J⁻¹∇F is −∇Fᵀ J⁻¹ ∇F < 0
            slope = 0.0
            for a in range(K):
                slope -= g[a] * G[a, 0]
            t = 1.0
            for _ in range(60):
                for a in range(K):
                    hn[a] = h[a] - t * G[a, 0]
                if _objective(i_y, hn, om, Vinv) <= F0 + 1e-4 * t * slope:
                    break
                t *= 0.5
            for a in range(K):
                h[a] = hn[a]
        worst = max(worst, gn)
        grad_hess(i_y, h, g, Hm)
        _dfdomega(Hm, V, work, df)
        for a in range(K):
            h_out[i, a] = h[a]
            f_out[i, a] = -g[a]
            for b in range(K):
                df_out[i, a, b] = df[a, b]
    return worst


@numba.njit(cache=True)
def losses_k(h, i_y, out):
    """ℓ(y_i, h_i) for every row (labels ``i_y`` as an integer array)."""
    for i in range(h.shape[0]):
        out[i] = loss(i_y[i], h[i])
