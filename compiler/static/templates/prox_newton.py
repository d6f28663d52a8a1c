
@numba.njit(cache=True)
def prox(i_omega, i_y, i_V):
    g0 = dloss(i_y, i_omega)
    if g0 == 0.0:
        return i_omega, 1.0 / (1.0 + i_V * d2loss(i_y, i_omega))
    lo = min(i_omega, i_omega - i_V * g0)
    hi = max(i_omega, i_omega - i_V * g0)
    h = i_omega - i_V * g0 / (1.0 + i_V * d2loss(i_y, i_omega))
    if not (lo < h < hi):
        h = 0.5 * (lo + hi)
    scale = 1.0 + abs(i_omega) + abs(i_V * g0)
    g_prev = np.inf
    for _ in range(400):
        g = h - i_omega + i_V * dloss(i_y, h)
        if abs(g) <= 4e-16 * scale:
            break
        if g > 0.0:
            hi = h
        else:
            lo = h
        if hi - lo <= 4e-16 * scale:
            break
        step = h - g / (1.0 + i_V * d2loss(i_y, h))
        # Newton only while it at least halves |g|; otherwise bisect (no cycling)
        h = step if (lo < step < hi and abs(g) <= 0.5 * g_prev) else 0.5 * (lo + hi)
        g_prev = abs(g)
    return h, 1.0 / (1.0 + i_V * d2loss(i_y, h))


@numba.njit(cache=True)
def kinks(i_y, i_V, out):
    return 0
