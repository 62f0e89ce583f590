#!/usr/bin/python3
"""Reference for bench_spectrum_mp: the Marchenko-Pastur density (gamma = 0.5) on 2,000 x-points
in [0, 3.5] by a vectorised numpy damped iteration m <- (1 - lam) m + lam F(m), F(m) =
1 / (1 - gamma - gamma z m - z), until max |F(m) - m| <= 1e-10 at every point. A fixed point
iteration cannot work at eta = 0 (it is neutral on the support), so it runs at eta > 0; the
error against the eta = 0 closed form is then dominated by eta.

    /usr/bin/python3 bench/mp_numpy.py   (Debian's python3-numpy)
"""
import time
import numpy as np

gamma = 0.5
x = np.linspace(0.0, 3.5, 2000)
am, ap = (1 - gamma**0.5) ** 2, (1 + gamma**0.5) ** 2
exact = np.where((x > am) & (x < ap),
                 np.sqrt(np.clip((ap - x) * (x - am), 0, None)) / (2 * np.pi * gamma * np.where(x > 0, x, 1)), 0.0)
print("numpy %s, gamma = %.2f, 2000 points, tol 1e-10" % (np.__version__, gamma))
print("%-8s %8s %12s %12s %16s" % ("eta", "damping", "seconds", "iterations", "max|rho-exact|"))
for eta in (1e-2, 1e-3, 1e-4):
    z = x + 1j * eta
    for lam in (0.5,):
        m = -1.0 / z
        t0 = time.perf_counter()
        it = 0
        while True:
            f = 1.0 / (1 - gamma - gamma * z * m - z)
            r = np.max(np.abs(f - m))
            if r <= 1e-10 or it >= 2_000_000:
                break
            m = (1 - lam) * m + lam * f
            it += 1
        dt = time.perf_counter() - t0
        err = np.max(np.abs(m.imag / np.pi - exact))
        print("%-8g %8.2f %12.3f %12d %16.3e%s" % (eta, lam, dt, it, err, "" if r <= 1e-10 else "  (not converged)"))
