"""Source of the parallel sample-side step of the causal DMFT sweep (DMFT.md §5).

Appended to every generated dmft kernel module, where `loss`, `dloss`, `d2loss` are that
module's own @njit functions (globals, so Numba caches the compiled kernel on disk). One
step k for all n_s samples, parallel over chunks of samples:

    ω(k) = Σ_{l≤k} L(k, l) z(l)                              (conditional extension)
    h(k) = m_k τ + √Δ ω(k) − ηΔ Σ_{j<k} R(k, j) g(j)          (field with memory)
    g(k) = κ s(k) ℓ'(y, h(k)),   g'(k) = κ s(k) ℓ''(y, h(k))
    D(k, j) = −ηΔ Σ_{p=j}^{k−1} R(k, p) g'(p) D(p, j),  D(p, p) = 1   (forward tangent)

accumulating per chunk the sums whose means are Γ(k, j) = E[g'(k) D(k, j)] (slots 0..k),
E_gg(k, l) = E[g(k) g(l)] (slots k+1..2k+1), E[τ g(k)], the training loss and the training
error (slots 2k+2..2k+4). D is per sample, packed lower-triangular rows (row k at offset
k(k−1)/2, unit diagonal not stored), float32.
"""

SAMPLE_STEP = '''
@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def sample_step(k, m_k, sqrt_delta, eta_delta, kappa, Lrow, Rrow, tau, y, z, sel, g, gp, D, partial):
    n = tau.shape[0]
    n_chunks = partial.shape[0]
    off = k * (k - 1) // 2
    e0 = 2 * (k + 1)
    for c in prange(n_chunks):
        acc = partial[c]
        row = np.empty(k)
        for mu in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            om = 0.0
            for l in range(k + 1):
                om += Lrow[l] * z[mu, l]
            mem = 0.0
            for j in range(k):
                mem += Rrow[j] * g[mu, j]
            h = m_k * tau[mu] + sqrt_delta * om - eta_delta * mem
            B = kappa * sel[mu, k]
            yy = y[mu]
            gk = B * dloss(yy, h)
            gq = B * d2loss(yy, h)
            g[mu, k] = gk
            gp[mu, k] = gq
            for j in range(k):
                row[j] = 0.0
            for p in range(k):
                ap = Rrow[p] * gp[mu, p]
                if ap != 0.0:
                    offp = p * (p - 1) // 2
                    for j in range(p):
                        row[j] += ap * D[mu, offp + j]
                    row[p] += ap
            for j in range(k):
                dj = -eta_delta * row[j]
                D[mu, off + j] = dj
                acc[j] += gq * dj
            acc[k] += gq
            for l in range(k + 1):
                acc[k + 1 + l] += gk * g[mu, l]
            acc[e0] += tau[mu] * gk
            acc[e0 + 1] += loss(yy, h)
            if yy * h < 0.0:
                acc[e0 + 2] += 1.0

'''
