

@numba.njit(cache=True)
def _solve(A, B):
    """X = A⁻¹ B for a small square A (Gaussian elimination, partial pivoting; B is (K, M))."""
    n, m = A.shape[0], B.shape[1]
    a = A.copy()
    x = B.copy()
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
    return x


@numba.njit(cache=True)
def _objective(i_y, h, om, Vinv):
    n = h.shape[0]
    acc = 0.0
    for a in range(n):
        for b in range(n):
            acc += (h[a] - om[a]) * Vinv[a, b] * (h[b] - om[b])
    return 0.5 * acc + loss(i_y, h)


@numba.njit(cache=True)
def prox_k(omega, i_y, V, Vinv, linear, h_out, f_out, df_out):
    """For every row ω of ``omega`` and the label ``i_y``: h* (``h_out``), f = −∇ℓ(y, h*)
    (``f_out``) and ∂_ω f = −(I + H V)⁻¹ H (``df_out``); returns the largest final |gradient|
    of the prox objective (Newton) or 0 (closed form)."""
    n, K = omega.shape
    g = np.empty(K)
    Hm = np.empty((K, K))
    eye = np.eye(K)
    G = np.empty((K, 1))
    worst = 0.0
    for i in range(n):
        om = omega[i]
        if linear:
            grad_hess(i_y, np.zeros(K), g, Hm)
            rhs = np.empty((K, 1))
            for a in range(K):
                acc = om[a]
                for b in range(K):
                    acc -= V[a, b] * g[b]
                rhs[a, 0] = acc
            h = _solve(eye + V @ Hm, rhs)[:, 0].copy()
        else:
            h = om.copy()
            for it in range(200):
                grad_hess(i_y, h, g, Hm)
                gn = 0.0
                for a in range(K):
                    acc = g[a]
                    for b in range(K):
                        acc += Vinv[a, b] * (h[b] - om[b])
                    G[a, 0] = acc
                    gn = max(gn, abs(acc))
                if gn < 1e-12:
                    break
                step = -_solve(Vinv + Hm, G)[:, 0]
                if gn < 1e-6:                     # quadratic-convergence region: full steps
                    h = h + step
                    continue
                F0 = _objective(i_y, h, om, Vinv)
                slope = 0.0
                for a in range(K):
                    slope += G[a, 0] * step[a]
                t = 1.0
                hn = h + step
                for _ in range(60):
                    hn = h + t * step
                    if _objective(i_y, hn, om, Vinv) <= F0 + 1e-4 * t * slope:
                        break
                    t *= 0.5
                h = hn
            worst = max(worst, gn)
        grad_hess(i_y, h, g, Hm)
        df = _solve(eye + Hm @ V, Hm)
        for a in range(K):
            h_out[i, a] = h[a]
            f_out[i, a] = -g[a]
            for b in range(K):
                df_out[i, a, b] = -df[a, b]
    return worst


@numba.njit(cache=True)
def losses_k(h, i_y, out):
    """ℓ(y_i, h_i) for every row (labels ``i_y`` as an integer array)."""
    for i in range(h.shape[0]):
        out[i] = loss(i_y[i], h[i])
