"""Source of the parallel sample-side step of the causal DMFT sweep (DMFT.md §5).

Appended to every generated dmft kernel module, where `loss`, `dloss`, `d2loss` are that
module's own @njit functions (globals, so Numba caches the compiled kernel on disk). One
step k for all n_s samples:

    ω(k) = Σ_{l≤k} L(k, l) z(l)                              (conditional extension)
    h(k) = m_k τ + √Δ ω(k) − ηΔ Σ_{j<k} R(k, j) g(j)          (field with memory)
    g(k) = κ s(k) ℓ'(y, h(k)),   g'(k) = κ s(k) ℓ''(y, h(k))
    D(k, j) = −ηΔ Σ_{p=j}^{k−1} R(k, p) G(p, j),   G(p, j) = g'(p) D(p, j),  G(p, p) = g'(p)

(the forward tangent, with the curvature folded into the stored rows), accumulating per
block of samples the sums whose means are Γ(k, j) = E[G(k, j)] (slots 0..k),
E_gg(k, l) = E[g(k) g(l)] (slots k+1..2k+1), E[τ g(k)], the training loss and the training
error (slots 2k+2..2k+4), then the model's training-set averages (`train_obs_sum`, slots
2k+5..).

Memory layout (the tangent is the O(K³ n_s) part and is memory-bound, one read of each
stored entry per step): samples are the fastest axis everywhere. The per-sample arrays z,
s, g, g' are (K+1) × n_s; the stored tangent G is (blocks, K(K+1)/2, C): for each chunk of C
samples its whole history is one contiguous region (row p of the packed strict lower
triangle at offset p(p−1)/2), so step k streams it sequentially and the inner loop runs
over the C samples with one scalar R(k, p) — a SIMD axpy into a k × C float64 accumulator
that stays in cache. G is float32: its entries are O(η), enter Γ only through means, and
the 6e-8 relative round-off is far below the Monte-Carlo error 1/√n_s.
"""

SAMPLE_STEP = '''
@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def sample_step(k, m_k, sqrt_delta, eta_delta, kappa, Lrow, Rrow, tau, y, z, sel, g, gp, G, partial):
    n = tau.shape[0]
    n_chunks, _, C = G.shape
    n_blocks = partial.shape[0]
    off = k * (k - 1) // 2
    e0 = 2 * (k + 1)
    for b in prange(n_blocks):
        acc = partial[b]
        row = np.empty((max(k, 1), C))
        h = np.empty(C)
        for c in range(b * n_chunks // n_blocks, (b + 1) * n_chunks // n_blocks):
            c0 = c * C
            cn = min(C, n - c0)
            Gc = G[c]
            for i in range(cn):
                h[i] = m_k * tau[c0 + i]
            for l in range(k + 1):
                a = sqrt_delta * Lrow[l]
                if a != 0.0:
                    for i in range(cn):
                        h[i] += a * z[l, c0 + i]
            for j in range(k):
                a = eta_delta * Rrow[j]
                for i in range(cn):
                    h[i] -= a * g[j, c0 + i]
            s_gq = 0.0
            s_tg = 0.0
            s_loss = 0.0
            s_err = 0.0
            for i in range(cn):
                mu = c0 + i
                B = kappa * sel[k, mu]
                yy = y[mu]
                hh = h[i]
                gk = B * dloss(yy, hh)
                gq = B * d2loss(yy, hh)
                g[k, mu] = gk
                gp[k, mu] = gq
                s_gq += gq
                s_tg += tau[mu] * gk
                s_loss += loss(yy, hh)
                if yy * hh < 0.0:
                    s_err += 1.0
                train_obs_sum(yy, hh, acc, e0 + 3)
            acc[k] += s_gq
            acc[e0] += s_tg
            acc[e0 + 1] += s_loss
            acc[e0 + 2] += s_err
            for l in range(k + 1):
                s = 0.0
                for i in range(cn):
                    s += g[k, c0 + i] * g[l, c0 + i]
                acc[k + 1 + l] += s
            if k == 0:
                continue
            for j in range(k):
                for i in range(cn):
                    row[j, i] = 0.0
            for p in range(k):
                rp = Rrow[p]
                if rp == 0.0:
                    continue
                offp = p * (p - 1) // 2
                for j in range(p):
                    for i in range(cn):
                        row[j, i] += rp * Gc[offp + j, i]
                for i in range(cn):
                    row[p, i] += rp * gp[p, c0 + i]
            for j in range(k):
                s = 0.0
                for i in range(cn):
                    v = -eta_delta * gp[k, c0 + i] * row[j, i]
                    Gc[off + j, i] = v
                    s += v
                acc[j] += s

'''
