
@numba.njit(cache=True)
def channel_sums(omega, y, w, mw, Vp, out):
    """Weighted sums over quadrature nodes of f = (h* − ω)/Vp and its ω-derivative.

    out[0] = Σ w f², out[1] = Σ w ∂f/∂ω, out[2] = Σ mw f, out[3] = Σ w f,
    out[4] = Σ w ℓ(y, h*), out[5] = Σ w 1{y h* < 0}, out[6] = Σ w.
    """
    for k in range(7):
        out[k] = 0.0
    for i in range(omega.shape[0]):
        h, dh = prox(omega[i], y[i], Vp)
        f = (h - omega[i]) / Vp
        out[0] += w[i] * f * f
        out[1] += w[i] * (dh - 1.0) / Vp
        out[2] += mw[i] * f
        out[3] += w[i] * f
        out[4] += w[i] * loss(y[i], h)
        if y[i] * h < 0.0:
            out[5] += w[i]
        out[6] += w[i]
