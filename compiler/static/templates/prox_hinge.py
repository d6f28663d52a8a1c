
@numba.njit(cache=True)
def prox(i_omega, i_y, i_V):
    u0 = i_y * i_omega
    if u0 >= HINGE_A:
        return i_omega, 1.0
    if u0 >= HINGE_A - i_V:
        return i_y * HINGE_A, 0.0
    return i_y * (u0 + i_V), 1.0


@numba.njit(cache=True)
def kinks(i_y, i_V, out):
    out[0] = i_y * HINGE_A
    out[1] = i_y * (HINGE_A - i_V)
    return 2
