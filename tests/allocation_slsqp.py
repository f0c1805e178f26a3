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


def columns(inst):
    """The rows' curves as arrays (cached on the instance), so the objective and its
    gradient are vectorised: SLSQP gets an exact gradient, not finite differences."""
    cols = inst.get("_columns")
    if cols is None:
        rows = inst["rows"]
        get = lambda key, default: np.array(
            [default if r.get(key) is None else float(r[key]) for r in rows], dtype=float)
        family = np.array([r["family"] for r in rows])
        cols = {
            "hill": family == "hill", "log": family == "log",
            "power": family == "power", "linear": family == "linear",
            "a": get("a", 0.0), "k": get("k", 1.0), "s": get("s", 1.0),
            "b": get("b", 1.0), "cap": get("cap", np.inf), "w": get("weight", 1.0),
        }
        inst["_columns"] = cols
    return cols


def responses(inst, x):
    """Each row's outcome F(x) and slope F'(x) at spend x."""
    c = columns(inst)
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    a, k, s, b = c["a"], c["k"], c["s"], c["b"]
    tiny = np.maximum(x, 1e-300)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = (k / tiny) ** s  # Hill: F = a / (1 + (k/x)^s)
        hill = np.where(x > 0, a / (1.0 + ratio), 0.0)
        hill_slope = np.where(x > 0, a * s * ratio / (tiny * (1.0 + ratio) ** 2), 0.0)
        log = a * np.log1p(x / k)
        log_slope = a / (k + x)
        power = a * x ** b
        power_slope = a * b * tiny ** (b - 1.0)
        line = a * x
        linear = np.minimum(line, c["cap"])
        linear_slope = np.where(line < c["cap"], a, 0.0)
    f = np.select([c["hill"], c["log"], c["power"]], [hill, log, power], linear)
    d = np.select([c["hill"], c["log"], c["power"]], [hill_slope, log_slope, power_slope], linear_slope)
    d = np.nan_to_num(d, nan=0.0, posinf=1e300)
    return f, d


def value(inst, x):
    f, _ = responses(inst, x)
    return float(np.sum(columns(inst)["w"] * f))


def value_gradient(inst, x):
    _, d = responses(inst, x)
    return columns(inst)["w"] * d


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
    ones = np.ones(n)
    if inst["goal"] == "max":
        cost = inst["spend_cost"]
        fun = lambda x: -score(inst, x) / scale
        jac = lambda x: -(value_gradient(inst, x) - cost) / scale
        cons = [{"type": "ineq", "fun": lambda x: (inst["budget"] - np.sum(x)) / scale,
                 "jac": lambda x: -ones / scale}]
    else:
        target = max(1.0, inst["target"])
        fun = lambda x: score(inst, x) / scale
        jac = lambda x: ones / scale
        cons = [{"type": "ineq", "fun": lambda x: (value(inst, x) - inst["target"]) / target,
                 "jac": lambda x: value_gradient(inst, x) / target}]
    best = None
    for start in range(starts):
        if start == 0:
            x0 = lo + 0.5 * (hi - lo)
        else:
            x0 = lo + rng.random(n) * (hi - lo)
        try:
            result = minimize(fun, x0, jac=jac, method="SLSQP", bounds=list(zip(lo, hi)),
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
