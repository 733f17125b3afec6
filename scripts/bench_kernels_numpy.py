"""numpy baseline of the hot kernels, for scripts/bench-kernels.mjs (a benchmark, not a test).

    python scripts/bench_kernels_numpy.py CYCLES FEATURES REPEATS [--data FILE] [--dump DIR]

Times, min of REPEATS runs after one warm-up run, the vectorized numpy equivalent of what the
TypeScript kernels compute, on float32 data shaped (cycles, 150, features) as LocoHub's
``get_cycles`` returns it:

* per cycle, over the phases (axis=1): mean, std (ddof 0), min, max, max - min, argmax(|x|) / 150;
* the mean and std patterns across cycles (axis=0);
* per-cycle RMSE against the mean pattern, over all phases and features.

Plain numpy defaults, as a numpy user writes them: float32 in, float32 arithmetic (no dtype=).
The same results are also timed on the (features, cycles, 150) layout (the TypeScript kernels'
[feature][cycle][phase] order) for comparison; the benchmark's ratios use the get_cycles layout.

``--data FILE``: raw float32 in [feature][cycle][phase] order (what the Node benchmark writes), so
both sides see the same numbers; without it, gait-like data of the same shape are generated here.
``--dump DIR``: write the per-cycle std ([feature][cycle]) and the RMSE as raw float64 to DIR
(std.f64, rmse.f64), for an agreement check. Prints one JSON object (times in seconds) on stdout.
"""
from __future__ import annotations

import ctypes
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

PHASES = 150


def blas_info() -> dict:
    """numpy's BLAS: the build config, and the kernel that runs (threadpoolctl, else ctypes)."""
    info: dict = {"numpy": np.__version__, "python": platform.python_version()}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["blas_build"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
        info["simd"] = cfg.get("SIMD Extensions")
    except Exception as error:  # pragma: no cover - depends on the numpy version
        info["blas_build"] = f"unavailable: {error}"
    info["env"] = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    try:
        import threadpoolctl  # noqa: PLC0415

        info["threadpoolctl"] = threadpoolctl.threadpool_info()
    except ImportError:
        info["threadpoolctl"] = "not installed (not importable in this python)"
        info["openblas_runtime"] = openblas_runtime()
    return info


def openblas_runtime() -> list:
    """What threadpoolctl would report, read with ctypes from the OpenBLAS that numpy loaded."""
    out = []
    try:
        paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower() and "/" in line})
    except OSError:
        return out
    for path in paths:
        entry = {"library": path, "source": "ctypes (threadpoolctl missing)"}
        try:
            lib = ctypes.CDLL(path)
        except OSError as error:
            entry["error"] = str(error)
            out.append(entry)
            continue
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("scipy_", ""), ("", "")):
            core = getattr(lib, f"{prefix}openblas_get_corename{suffix}", None)
            if core is None:
                continue
            core.restype = ctypes.c_char_p
            entry["corename"] = core().decode()
            config = getattr(lib, f"{prefix}openblas_get_config{suffix}", None)
            if config is not None:
                config.restype = ctypes.c_char_p
                entry["config"] = config().decode()
            threads = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if threads is not None:
                threads.restype = ctypes.c_int
                entry["num_threads"] = threads()
            break
        out.append(entry)
    return out


def generate(cycles: int, features: int) -> np.ndarray:
    """Gait-like float32 data in [feature][cycle][phase] order: offset, amplitude, phase shift, noise."""
    rng = np.random.default_rng(12345)
    offset = (rng.random(features) - 0.5) * 200
    amplitude = 1 + rng.random(features) * 60
    shift = rng.integers(0, 10, size=(features, cycles))
    p = (np.arange(PHASES)[None, None, :] + shift[:, :, None]) % PHASES
    x = offset[:, None, None] + amplitude[:, None, None] * np.sin(2 * np.pi * p / PHASES)
    x += (rng.random(x.shape) - 0.5) * 0.1
    return x.astype(np.float32)


def best_of(repeats: int, run):
    run()  # warm-up (page faults of the temporaries)
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def per_cycle(x: np.ndarray, axis: int) -> dict:
    mn = x.min(axis=axis)
    mx = x.max(axis=axis)
    return {
        "mean": x.mean(axis=axis),
        "std": x.std(axis=axis),
        "min": mn,
        "max": mx,
        "rom": mx - mn,
        "peakTiming": np.abs(x).argmax(axis=axis) / PHASES,
    }


def main() -> None:
    args = sys.argv[1:]
    options = {}
    for flag in ("--data", "--dump"):
        if flag in args:
            i = args.index(flag)
            options[flag] = args[i + 1]
            del args[i : i + 2]
    cycles, features, repeats = (int(a) for a in args[:3])

    start = time.perf_counter()
    if "--data" in options:
        xf = np.fromfile(options["--data"], dtype=np.float32)
        if xf.size != features * cycles * PHASES:
            raise SystemExit(f"{options['--data']}: {xf.size} values, expected {features * cycles * PHASES}")
        xf = xf.reshape(features, cycles, PHASES)
        source = "the Node benchmark's data (raw float32 file)"
    else:
        xf = generate(cycles, features)
        source = "generated by numpy (same shape, not the same numbers)"
    x = np.ascontiguousarray(xf.transpose(1, 2, 0))  # (cycles, 150, features), as get_cycles returns
    prepare = time.perf_counter() - start

    result: dict = {
        "shape": list(x.shape),
        "dtype": str(x.dtype),
        "bytes": int(x.nbytes),
        "repeats": repeats,
        "data": source,
        "prepare_s": prepare,
        "config": blas_info(),
    }

    # get_cycles layout (cycles, 150, features): reductions over axis=1 (phases) and axis=0 (cycles).
    t_per, per = best_of(repeats, lambda: per_cycle(x, 1))
    t_pat, pat = best_of(repeats, lambda: (x.mean(axis=0), x.std(axis=0)))
    mean = pat[0]
    t_rmse, rmse = best_of(repeats, lambda: np.sqrt(((x - mean[None, :, :]) ** 2).mean(axis=(1, 2))))
    result["get_cycles_layout"] = {
        "layout": "(cycles, 150, features), axis=1 / axis=0",
        "per_cycle_s": t_per,
        "patterns_s": t_pat,
        "rmse_s": t_rmse,
        "total_s": t_per + t_pat + t_rmse,
    }

    # [feature][cycle][phase] layout (features, cycles, 150): reductions over axis=2 and axis=1.
    t_per2, _ = best_of(repeats, lambda: per_cycle(xf, 2))
    t_pat2, pat2 = best_of(repeats, lambda: (xf.mean(axis=1), xf.std(axis=1)))
    mean2 = pat2[0]
    t_rmse2, _ = best_of(repeats, lambda: np.sqrt(((xf - mean2[:, None, :]) ** 2).mean(axis=(0, 2))))
    result["feature_major_layout"] = {
        "layout": "(features, cycles, 150), axis=2 / axis=1",
        "per_cycle_s": t_per2,
        "patterns_s": t_pat2,
        "rmse_s": t_rmse2,
        "total_s": t_per2 + t_pat2 + t_rmse2,
    }

    if "--dump" in options:
        folder = Path(options["--dump"])
        per["std"].T.astype(np.float64).tofile(folder / "std.f64")  # [feature][cycle]
        rmse.astype(np.float64).tofile(folder / "rmse.f64")
        result["dump"] = str(folder)

    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
