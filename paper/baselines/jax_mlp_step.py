"""One jitted training step (forward, backward, Adam) of the 20-128-128-128-9 swish MLP at
batch 500 in float32, written directly in JAX: the reference for softeq's `mlp_step` bench.

Run in a throwaway virtual environment (JAX is not a dependency of softeq):

    python3 -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install jax
    JAX_PLATFORMS=cpu /tmp/venv-bench/bin/python paper/baselines/jax_mlp_step.py

Prints the median time of one step and of one forward pass with the MSE.
"""
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

WIDTHS = [20, 128, 128, 128, 9]
BATCH = 500


def init(key):
    params = []
    for n_in, n_out in zip(WIDTHS[:-1], WIDTHS[1:]):
        key, sub = jax.random.split(key)
        w = jax.random.normal(sub, (n_out, n_in), jnp.float32) / np.sqrt(n_in)
        params.append((w, jnp.zeros((n_out,), jnp.float32)))
    return params


def forward(params, x):
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w.T + b
        if i < len(params) - 1:
            h = jax.nn.silu(h)
    return h


def loss(params, x, y):
    return jnp.mean((forward(params, x) - y) ** 2)


@jax.jit
def step(params, m, v, t, x, y):
    g = jax.grad(loss)(params, x, y)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3
    t = t + 1
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
    mhat = jax.tree_util.tree_map(lambda m: m / (1 - b1**t), m)
    vhat = jax.tree_util.tree_map(lambda v: v / (1 - b2**t), v)
    params = jax.tree_util.tree_map(lambda p, m, v: p - lr * m / (jnp.sqrt(v) + eps), params, mhat, vhat)
    return params, m, v, t


def median_seconds(f, min_time=3.0):
    for _ in range(20):
        f()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 50:
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    key = jax.random.PRNGKey(0)
    params = init(key)
    x = jax.random.normal(jax.random.PRNGKey(1), (BATCH, 20), jnp.float32)
    y = jax.random.normal(jax.random.PRNGKey(2), (BATCH, 9), jnp.float32)
    state = {"p": params, "m": jax.tree_util.tree_map(jnp.zeros_like, params),
             "v": jax.tree_util.tree_map(jnp.zeros_like, params), "t": jnp.float32(0)}

    def one_step():
        state["p"], state["m"], state["v"], state["t"] = step(state["p"], state["m"], state["v"], state["t"], x, y)
        jax.block_until_ready(state["p"])

    fwd = jax.jit(loss)
    step_s = median_seconds(one_step)
    fwd_s = median_seconds(lambda: jax.block_until_ready(fwd(state["p"], x, y)))
    print(json.dumps({"jax": jax.__version__, "step_ms": step_s * 1e3, "forward_mse_ms": fwd_s * 1e3}, indent=2))


if __name__ == "__main__":
    main()
