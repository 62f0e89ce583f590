#!/usr/bin/env python3
"""Peer for bench/bench_nn_kernel.cpp: the same NNGP + NTK recursion (depth-10 relu, ntk
parameterisation, W_std 1.4, b_std 0.1, N = 2000 inputs of dimension 100) with vectorised numpy
closed forms on full matrices, as a numpy user (or Neural Tangents on CPU) would compute them.
Inputs differ from the C++ run (different RNG), so compare timings, not checksums.
    python3 bench/nn_kernel_numpy.py [N]
"""
import sys, time
import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
d, depth, w2, b2 = 100, 10, 1.4 ** 2, 0.1 ** 2
x = np.random.default_rng(0).standard_normal((n, d))

def kernels(x):
    k = x @ x.T / x.shape[1]
    t = np.zeros_like(k)
    for _ in range(depth):
        k = w2 * k + b2
        t = k + w2 * t
        diag = np.sqrt(np.diag(k))
        s = np.outer(diag, diag)
        c = np.clip(k / s, -1.0, 1.0)
        theta = np.arccos(c)
        k = s * (np.sqrt(1.0 - c * c) + (np.pi - theta) * c) / (2 * np.pi)
        t = t * (np.pi - theta) / (2 * np.pi)
    k = w2 * k + b2
    t = k + w2 * t
    return k, t

best = 1e300
for _ in range(3):
    t0 = time.perf_counter()
    k, t = kernels(x)
    best = min(best, time.perf_counter() - t0)
entries = n * (n + 1) / 2
print(f"numpy {np.__version__}: N = {n}, d = {d}, depth {depth} relu, NNGP + NTK")
print(f"  best of 3: {best:.3f} s, {1e9 * best / (entries * depth):.2f} ns per distinct entry per relu layer")
print(f"  checksum: sum NNGP = {k.sum():.12e}, sum NTK = {t.sum():.12e}")
