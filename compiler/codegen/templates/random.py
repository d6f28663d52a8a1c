# ---- random numbers for the simulator (statc template) ----
# xoroshiro128+ (Blackman & Vigna) drives a 128-layer ziggurat for normals
# (Marsaglia & Tsang 2000).  Each simulation owns its generator state
# `rs` (uint64[2]), so seeds are reproducible and processes independent.


def _zig_tables():
    m1 = 2147483648.0
    dn = 3.442619855899
    tn = dn
    vn = 9.91256303526217e-3
    kn = np.zeros(128, dtype=np.int64)
    wn = np.zeros(128)
    fn = np.zeros(128)
    q = vn / np.exp(-0.5 * dn * dn)
    kn[0] = int((dn / q) * m1)
    kn[1] = 0
    wn[0] = q / m1
    wn[127] = dn / m1
    fn[0] = 1.0
    fn[127] = np.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = np.sqrt(-2.0 * np.log(vn / dn + np.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = np.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


_ZKN, _ZWN, _ZFN = _zig_tables()
_M64 = 0xFFFFFFFFFFFFFFFF


def rng_state(seed):
    """Generator state from an integer seed (splitmix64, in Python)."""
    z = (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & _M64
    out = np.empty(2, dtype=np.uint64)
    for i in range(2):
        z = (z + 0x9E3779B97F4A7C15) & _M64
        w = z
        w = ((w ^ (w >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        w = ((w ^ (w >> 27)) * 0x94D049BB133111EB) & _M64
        out[i] = w ^ (w >> 31)
    return out


@njit(cache=True, inline="always")
def _next64(rs):
    s0 = rs[0]
    s1 = rs[1]
    r = s0 + s1
    s1 ^= s0
    rs[0] = ((s0 << np.uint64(24)) | (s0 >> np.uint64(40))) ^ s1 ^ (s1 << np.uint64(16))
    rs[1] = (s1 << np.uint64(37)) | (s1 >> np.uint64(27))
    return r


@njit(cache=True)
def rand_uniform(rs):
    """Uniform on (0, 1)."""
    return (np.float64(_next64(rs) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _hz(rs):
    h = np.int64(_next64(rs) >> np.uint64(32))
    if h >= 2147483648:
        h -= 4294967296
    return h


@njit(cache=True)
def _zig_tail(rs, hz, iz):
    """The ziggurat's rare branch (~1 % of draws) for a draw ``hz`` that missed its layer's
    rectangle: the wedge test, the tail beyond r, or a fresh draw."""
    r = 3.442620
    while True:
        x = hz * _ZWN[iz]
        if iz == 0:
            while True:
                x = -np.log(rand_uniform(rs)) * 0.2904764
                y = -np.log(rand_uniform(rs))
                if y + y >= x * x:
                    break
            return r + x if hz > 0 else -r - x
        if _ZFN[iz] + rand_uniform(rs) * (_ZFN[iz - 1] - _ZFN[iz]) < np.exp(-0.5 * x * x):
            return x
        hz = _hz(rs)
        iz = hz & 127
        if abs(hz) < _ZKN[iz]:
            return hz * _ZWN[iz]


@njit(cache=True)
def rand_normal(rs):
    """Standard normal (ziggurat)."""
    hz = _hz(rs)
    iz = hz & 127
    if abs(hz) < _ZKN[iz]:
        return hz * _ZWN[iz]
    return _zig_tail(rs, hz, iz)


@njit(cache=True)
def fill_normal(rs, out, sd):
    """out[i] = sd · (standard normal), the very stream of repeated ``rand_normal`` calls.

    The generator state lives in two local integers while the fast path (one draw inside
    its layer's rectangle) runs, and goes back to ``rs`` only around the rare branch:
    ``rs`` and ``out`` are both arrays, so with the state in ``rs`` every draw would store
    and reload it (2.3x slower)."""
    kn = _ZKN
    wn = _ZWN
    s0 = rs[0]
    s1 = rs[1]
    for i in range(out.shape[0]):
        r = s0 + s1
        t = s1 ^ s0
        s0 = ((s0 << np.uint64(24)) | (s0 >> np.uint64(40))) ^ t ^ (t << np.uint64(16))
        s1 = (t << np.uint64(37)) | (t >> np.uint64(27))
        hz = np.int64(r >> np.uint64(32))
        if hz >= 2147483648:
            hz -= 4294967296
        iz = hz & 127
        if abs(hz) < kn[iz]:
            out[i] = sd * (hz * wn[iz])
        else:
            rs[0] = s0
            rs[1] = s1
            out[i] = sd * _zig_tail(rs, hz, iz)
            s0 = rs[0]
            s1 = rs[1]
    rs[0] = s0
    rs[1] = s1


@njit(cache=True, fastmath={"reassoc", "contract"})
def field_dots(U, X, F, scale):
    """F[a] = scale * U[a]·X.  Rows go four at a time (one pass over X for four
    rows, four independent sums); a leftover row uses four partial sums.  The sums may
    be reassociated (SIMD lanes; 1.7x) but not NaN/inf-assuming: a diverging run still
    yields NaN fields for the divergence check."""
    n = X.shape[0]
    rows = U.shape[0]
    a = 0
    while a + 4 <= rows:
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for i in range(n):
            xi = X[i]
            s0 += U[a, i] * xi
            s1 += U[a + 1, i] * xi
            s2 += U[a + 2, i] * xi
            s3 += U[a + 3, i] * xi
        F[a] = s0 * scale
        F[a + 1] = s1 * scale
        F[a + 2] = s2 * scale
        F[a + 3] = s3 * scale
        a += 4
    n4 = n - n % 4
    while a < rows:
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for i in range(0, n4, 4):
            s0 += U[a, i] * X[i]
            s1 += U[a, i + 1] * X[i + 1]
            s2 += U[a, i + 2] * X[i + 2]
            s3 += U[a, i + 3] * X[i + 3]
        for i in range(n4, n):
            s0 += U[a, i] * X[i]
        F[a] = ((s0 + s1) + (s2 + s3)) * scale
        a += 1


@njit(cache=True)
def overlap_dots(U, V, OV, scale):
    """OV[a, b] = scale * U[a]·V[b] (overlaps read by outputs or updates)."""
    for a in range(U.shape[0]):
        for b in range(V.shape[0]):
            OV[a, b] = np.dot(U[a], V[b]) * scale
