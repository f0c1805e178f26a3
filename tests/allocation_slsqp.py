#!/usr/bin/env python3
"""An independent local solver for chanmix's allocation problems: scipy's SLSQP from
many starting points. Reads a JSON list of instances on stdin and prints, for each, the
best objective it reaches at a feasible point (its answer is clipped to the bounds and
scaled into the budget before it is scored, so a slightly infeasible answer cannot
score above the optimum).

Instance: {"goal": "max" | "min_spend", "budget": B, "spend_cost": c, "target": T,
           "rows": [{"family": "hill"|"log"|"power"|"linear", "a":…, "k":…, "s":…,
                     "b":…, "cap":…, "weight": w, "lower": l, "upper": u|null}]}
max:       maximize sum(w*F(x)) - c*sum(x)  s.t. sum(x) <= B, l <= x <= u
min_spend: minimize sum(x)                  s.t. sum(w*F(x)) >= T, l <= x <= u
Output: {"objectives": [...], "seconds": [...]} (null when no feasible point was found).
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize


def response(row, x):
    x = np.maximum(x, 0.0)
    f = row["family"]
    a = row["a"]
    if f == "hill":
        k, s = row["k"], row["s"]
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(x > 0, a / (1.0 + (k / np.maximum(x, 1e-300)) ** s), 0.0)
    if f == "log":
        return a * np.log1p(x / row["k"])
    if f == "power":
        return a * x ** row["b"]
    line = a * x
    cap = row.get("cap")
    return line if cap is None else np.minimum(line, cap)


def value(inst, x):
    return sum(r["weight"] * float(response(r, xi)) for r, xi in zip(inst["rows"], x))


def score(inst, x):
    if inst["goal"] == "max":
        return value(inst, x) - inst["spend_cost"] * float(np.sum(x))
    return float(np.sum(x))


def bounds(inst):
    rows = inst["rows"]
    lo = np.array([r["lower"] for r in rows], dtype=float)
    room = inst["budget"] - lo.sum() if inst["goal"] == "max" else None
    hi = []
    for r, l in zip(rows, lo):
        u = r["upper"]
        if u is None:
            u = l + room if room is not None else l + 10.0 * max(1.0, inst.get("scale", 1.0))
        if room is not None:
            u = min(u, l + room)
        hi.append(max(u, l))
    return lo, np.array(hi)


def repair(inst, x, lo, hi):
    x = np.clip(x, lo, hi)
    if inst["goal"] == "max":
        excess = x.sum() - inst["budget"]
        if excess > 0:
            above = x - lo
            if above.sum() > 0:
                x = lo + above * max(0.0, 1.0 - excess / above.sum())
        return x
    # min_spend: the point must reach the target; otherwise it does not count.
    if value(inst, x) < inst["target"] * (1 - 1e-12):
        return None
    return x


def solve(inst, starts=24, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = bounds(inst)
    n = len(lo)
    scale = max(1.0, float(np.max(hi - lo)))
    if inst["goal"] == "max":
        fun = lambda x: -score(inst, x) / scale
        cons = [{"type": "ineq", "fun": lambda x: (inst["budget"] - np.sum(x)) / scale}]
    else:
        fun = lambda x: score(inst, x) / scale
        cons = [{"type": "ineq", "fun": lambda x: (value(inst, x) - inst["target"]) / max(1.0, inst["target"])}]
    best = None
    for start in range(starts):
        if start == 0:
            x0 = lo + 0.5 * (hi - lo)
        else:
            x0 = lo + rng.random(n) * (hi - lo)
        try:
            result = minimize(fun, x0, method="SLSQP", bounds=list(zip(lo, hi)),
                              constraints=cons, options={"maxiter": 500, "ftol": 1e-12})
        except (ValueError, FloatingPointError):
            continue
        x = repair(inst, result.x, lo, hi)
        if x is None:
            continue
        s = score(inst, x)
        if not np.isfinite(s):
            continue
        if best is None or (s > best if inst["goal"] == "max" else s < best):
            best = s
    return best


def main():
    instances = json.load(sys.stdin)
    objectives, seconds = [], []
    for i, inst in enumerate(instances):
        start = time.perf_counter()
        objectives.append(solve(inst, starts=inst.get("starts", 24), seed=i))
        seconds.append(time.perf_counter() - start)
    json.dump({"objectives": objectives, "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
