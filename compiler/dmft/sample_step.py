"""Source of the parallel sample-side step of the causal DMFT sweep (DMFT.md §5).

Appended to every generated dmft kernel module, where `loss`, `dloss`, `d2loss` are that
module's own @njit functions (globals, so Numba caches the compiled kernel on disk). One
step k for all n_s samples:

    ω(k) = Σ_{l≤k} L(k, l) z(l)                              (conditional extension)
    h(k) = m_k τ + √Δ ω(k) − ηΔ Σ_{j<k} R(k, j) g(j)          (field with memory)
    g(k) = κ s(k) ℓ'(y, h(k)),   g'(k) = κ s(k) ℓ''(y, h(k))
    D(k, j) = −ηΔ Σ_{p=j}^{k−1} R(k, p) G(p, j),   G(p, j) = g'(p) D(p, j),  G(p, p) = g'(p)

where D(k, j) = ∂h(k)/∂h(j) is the response of the field at k to a perturbation of the field at
j < k, accumulating per block of samples the sums whose means are Γ(k, j) = E[g'(k) D(k, j)]
(slots 0..k; Γ(k, k) = E[g'(k)]), E_gg(k, l) = E[g(k) g(l)] (slots k+1..2k+1), E[τ g(k)], the
training loss and the training error (slots 2k+2..2k+4), then the model's training-set averages
(`train_obs_sum`, functions of (y, τ, h) and the run-time coefficients `coef`; slots 2k+5..).

The memory term (DMFT.md §5) needs the whole row D(k, ·) of every sample at every step. It is
computed here in **reverse mode**, from the paths g'(·) alone, with no stored tangent: h(k)
depends on h(p) only through g(p), directly (−ηΔ R(k, p)) and through the later fields h(q),
p < q < k, so the adjoints a(p) = D(k, p) = ∂h(k)/∂h(p) satisfy, from p = k − 1 down to 0,

    a(p) = −ηΔ g'(p) (R(k, p) + Σ_{q=p+1}^{k−1} R(q, p) a(q))

— the same k(k−1)/2 multiply-adds per sample and step as the forward tangent
D(k, j) = −ηΔ Σ_{p=j}^{k−1} R(k, p) g'(p) D(p, j) (D(p, p) = 1), and equal to it in exact
arithmetic (the chain rule summed the other way round), but reading only the k × C block of
this step's adjoints of a chunk of C samples (float32, sized to stay in L1/L2: `chunk_size`)
instead of streaming an O(K²) stored history per sample from memory. So a sweep keeps
O(K n_s) numbers (the paths z, s, g, g'), not O(K² n_s), and nothing is rounded for storage;
the float32 round-off of the adjoints over k terms (≲ k·6e-8 relative) is far below the
Monte-Carlo error 1/√n_s. R is passed transposed (RT[p, q] = R(q, p)) so that the sum over q
reads a contiguous row; the inner loops run over the C samples of a chunk (samples are the
fastest axis of every per-sample array) with one scalar R(q, p) — a SIMD axpy.
"""

SAMPLE_STEP = '''
@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def sample_step(k, m_k, sqrt_delta, eta_delta, kappa, Lrow, Rrow, RT, tau, y, z, sel, g, gp, C, partial, coef):
    n = tau.shape[0]
    n_chunks = (n + C - 1) // C
    n_blocks = partial.shape[0]
    e0 = 2 * (k + 1)
    for b in prange(n_blocks):
        acc = partial[b]
        adj = np.empty((max(k, 1), C), dtype=np.float32)
        tmp = np.empty(C, dtype=np.float32)
        h = np.empty(C)
        for c in range(b * n_chunks // n_blocks, (b + 1) * n_chunks // n_blocks):
            c0 = c * C
            cn = min(C, n - c0)
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
                train_obs_sum(yy, tau[mu], hh, coef, acc, e0 + 3)
            acc[k] += s_gq
            acc[e0] += s_tg
            acc[e0 + 1] += s_loss
            acc[e0 + 2] += s_err
            for l in range(k + 1):
                s = 0.0
                for i in range(cn):
                    s += g[k, c0 + i] * g[l, c0 + i]
                acc[k + 1 + l] += s
            # reverse mode: adj[p] = D(k, p) from p = k - 1 down to 0, Γ(k, p) += Σ g'(k) D(k, p)
            for p in range(k - 1, -1, -1):
                r0 = np.float32(Rrow[p])
                for i in range(cn):
                    tmp[i] = r0
                for q in range(p + 1, k):
                    r = np.float32(RT[p, q])
                    if r != 0.0:
                        for i in range(cn):
                            tmp[i] += r * adj[q, i]
                s = 0.0
                for i in range(cn):
                    v = np.float32(-eta_delta * gp[p, c0 + i]) * tmp[i]
                    adj[p, i] = v
                    s += gp[k, c0 + i] * v
                acc[p] += s

'''
