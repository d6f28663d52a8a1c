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
error (slots 2k+2..2k+4), then the model's training-set averages (`train_obs_sum`, functions of (y, τ, h) and the
run-time coefficients `coef`; slots 2k+5..).

Memory layout (the tangent is the O(K³ n_s) part and is memory-bound, one read of each
stored entry per step): samples are the fastest axis everywhere. The per-sample arrays z,
s, g, g' are (K+1) × n_s; the stored tangent G is (blocks, K(K+1)/2, C): for each chunk of C
samples its whole history is one contiguous region (row p of the packed strict lower
triangle at offset p(p−1)/2), so step k streams it sequentially and the inner loop runs
over the C samples with one scalar R(k, p) — a SIMD axpy into a k × C float32 accumulator
that stays in L1 (its float32 round-off over k terms, ≲ k·6e-8, is below the storage's). G is stored as int16 with one float32 scale per entry (p, j) and chunk,
G(p, j)_i ≈ S(p, j) q_i, S = max_i |G(p, j)_i| / 32766, q_i = round(G(p, j)_i / S): 2 bytes per
stored entry instead of 4 (the sweep streams the stored tangent once per step, so its time
is that of reading these bytes; measured in benchmarks/README.md). The rounding error is at
most 1/65532 ≈ 1.5e-5 of the largest entry of its row in the chunk, at fixed sign pattern
unbiased to first order, and enters only through the memory of later steps — far below the
Monte-Carlo error 1/√n_s at any practical n_s (3e-3 at 10⁵). Γ(k, ·) itself is summed from
the unrounded values.
"""

SAMPLE_STEP = '''
@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def sample_step(k, m_k, sqrt_delta, eta_delta, kappa, Lrow, Rrow, tau, y, z, sel, g, gp, G, S, partial, coef):
    n = tau.shape[0]
    n_chunks, _, C = G.shape
    n_blocks = partial.shape[0]
    off = k * (k - 1) // 2
    e0 = 2 * (k + 1)
    for b in prange(n_blocks):
        acc = partial[b]
        row = np.empty((max(k, 1), C), dtype=np.float32)
        h = np.empty(C)
        for c in range(b * n_chunks // n_blocks, (b + 1) * n_chunks // n_blocks):
            c0 = c * C
            cn = min(C, n - c0)
            Gc = G[c]
            Sc = S[c]
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
            if k == 0:
                continue
            for j in range(k):
                for i in range(cn):
                    row[j, i] = np.float32(0.0)
            for p in range(k):
                rp = Rrow[p]
                if rp == 0.0:
                    continue
                offp = p * (p - 1) // 2
                for j in range(p):
                    a = np.float32(rp * Sc[offp + j])
                    if a == 0.0:
                        continue
                    for i in range(cn):
                        row[j, i] += a * np.float32(Gc[offp + j, i])
                for i in range(cn):
                    row[p, i] += np.float32(rp * gp[p, c0 + i])
            for j in range(k):
                s = 0.0
                big = 0.0
                for i in range(cn):
                    v = -eta_delta * gp[k, c0 + i] * row[j, i]
                    row[j, i] = v
                    s += v
                    big = max(big, abs(v))
                acc[j] += s
                scale = big / 32766.0          # |q| ≤ 32766 after rounding: no int16 overflow
                Sc[off + j] = scale
                inv = 1.0 / scale if scale > 0.0 else 0.0
                for i in range(cn):
                    Gc[off + j, i] = np.int16(round(row[j, i] * inv))

'''
