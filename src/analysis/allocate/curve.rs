//! Response curves: how a period's outcome (pipeline, opportunities …) answers that
//! period's spend. Four families — Hill `a·xˢ/(kˢ+xˢ)`, log `a·ln(1+x/k)`, power `a·x^b`
//! and linear up to a cap `min(a·x, cap)` — with their slopes, the point where an
//! S-shaped curve turns concave, and the one text form rule files, scenarios and the
//! workbook share: `hill(a=1200000, k=350000, s=1.3)`.

use std::fmt;

/// One response curve. Every family is nondecreasing with `F(0) = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Curve {
    /// `a·xˢ/(kˢ+xˢ)`: saturates at `a`; `k` is the spend reaching half of it; `s > 1`
    /// makes it S-shaped (convex below its inflection point).
    Hill { a: f64, k: f64, s: f64 },
    /// `a·ln(1 + x/k)`: concave, never saturates.
    Log { a: f64, k: f64 },
    /// `a·x^b`: concave for `b ≤ 1`, convex for `b > 1`.
    Power { a: f64, b: f64 },
    /// `min(a·x, cap)`; no cap (`None`) is a straight line.
    Linear { a: f64, cap: Option<f64> },
}

/// The family names, as written in rule files and `--json`.
pub const FAMILIES: [&str; 4] = ["hill", "log", "power", "linear"];

/// The parameter names a curve's text may use, in the order columns show them.
pub const PARAMETER_NAMES: [&str; 5] = ["a", "k", "s", "b", "cap"];

impl Curve {
    pub fn family(&self) -> &'static str {
        match self {
            Curve::Hill { .. } => "hill",
            Curve::Log { .. } => "log",
            Curve::Power { .. } => "power",
            Curve::Linear { .. } => "linear",
        }
    }

    /// The parameters by name (`a, k, s, b, cap`); `None` where the family has none.
    pub fn parameters(&self) -> [Option<f64>; 5] {
        match *self {
            Curve::Hill { a, k, s } => [Some(a), Some(k), Some(s), None, None],
            Curve::Log { a, k } => [Some(a), Some(k), None, None, None],
            Curve::Power { a, b } => [Some(a), None, None, Some(b), None],
            Curve::Linear { a, cap } => [Some(a), None, None, None, cap],
        }
    }

    /// A curve from a family name and parameters by name, checked: every parameter
    /// the family needs is there, finite and in range.
    pub fn from_parts(family: &str, get: impl Fn(&str) -> Option<f64>) -> Result<Curve, String> {
        let need = |name: &str| -> Result<f64, String> {
            get(name).ok_or_else(|| format!("a {family} curve needs `{name}`"))
        };
        let curve = match family.trim().to_ascii_lowercase().as_str() {
            "hill" => Curve::Hill {
                a: need("a")?,
                k: need("k")?,
                s: need("s")?,
            },
            "log" => Curve::Log {
                a: need("a")?,
                k: need("k")?,
            },
            "power" => Curve::Power {
                a: need("a")?,
                b: need("b")?,
            },
            "linear" => Curve::Linear {
                a: need("a")?,
                cap: get("cap"),
            },
            other => {
                return Err(format!(
                    "`{other}` is not a curve family; the families are {}",
                    FAMILIES.join(", ")
                ));
            }
        };
        curve.validate()?;
        Ok(curve)
    }

    /// Checks the parameters: finite, `a ≥ 0`, `k > 0`, `s > 0`, `b > 0`, `cap ≥ 0`.
    pub fn validate(&self) -> Result<(), String> {
        let family = self.family();
        for (name, value) in PARAMETER_NAMES.iter().zip(self.parameters()) {
            let Some(value) = value else { continue };
            if !value.is_finite() {
                return Err(format!(
                    "the {family} curve's `{name}` is not a finite number"
                ));
            }
            let ok = match *name {
                "a" | "cap" => value >= 0.0,
                _ => value > 0.0,
            };
            if !ok {
                let must = if matches!(*name, "a" | "cap") {
                    "at least 0"
                } else {
                    "above 0"
                };
                return Err(format!(
                    "the {family} curve's `{name}` must be {must}, it is {value}"
                ));
            }
        }
        Ok(())
    }

    /// The outcome at spend `x` (negative spend counts as none).
    pub fn value(&self, x: f64) -> f64 {
        let x = x.max(0.0);
        match *self {
            Curve::Hill { a, k, s } => {
                if x == 0.0 {
                    0.0
                } else if x.is_infinite() {
                    a
                } else {
                    a / (1.0 + (k / x).powf(s))
                }
            }
            Curve::Log { a, k } => a * (x / k).ln_1p(),
            Curve::Power { a, b } => a * x.powf(b),
            Curve::Linear { a, cap } => {
                let line = a * x;
                cap.map_or(line, |c| line.min(c))
            }
        }
    }

    /// The slope `F'(x)`: the outcome of one more unit of spend. At a linear curve's
    /// kink it is the slope on the right (0 once the cap is reached).
    pub fn slope(&self, x: f64) -> f64 {
        let x = x.max(0.0);
        match *self {
            Curve::Hill { a, k, s } => {
                if x == 0.0 {
                    return match s.partial_cmp(&1.0) {
                        Some(std::cmp::Ordering::Less) => f64::INFINITY,
                        Some(std::cmp::Ordering::Equal) => a / k,
                        _ => 0.0,
                    };
                }
                if x.is_infinite() {
                    return 0.0;
                }
                let r = (x / k).powf(s);
                if !r.is_finite() {
                    return 0.0;
                }
                a * s * r / (x * (1.0 + r) * (1.0 + r))
            }
            Curve::Log { a, k } => a / (k + x),
            Curve::Power { a, b } => {
                if x == 0.0 {
                    return if b < 1.0 {
                        f64::INFINITY
                    } else if b == 1.0 {
                        a
                    } else {
                        0.0
                    };
                }
                a * b * x.powf(b - 1.0)
            }
            Curve::Linear { a, cap } => match cap {
                Some(c) if a * x >= c => 0.0,
                _ => a,
            },
        }
    }

    /// `F''(x)` (0 on a linear curve's straight parts).
    pub fn curvature(&self, x: f64) -> f64 {
        let x = x.max(f64::MIN_POSITIVE);
        match *self {
            Curve::Hill { a, k, s } => {
                let r = (x / k).powf(s);
                if !r.is_finite() {
                    return 0.0;
                }
                a * s * r * ((s - 1.0) - (s + 1.0) * r) / (x * x * (1.0 + r).powi(3))
            }
            Curve::Log { a, k } => -a / ((k + x) * (k + x)),
            Curve::Power { a, b } => a * b * (b - 1.0) * x.powf(b - 2.0),
            Curve::Linear { .. } => 0.0,
        }
    }

    /// Where the curve turns from convex to concave: 0 for concave curves, the Hill
    /// inflection point `k·((s−1)/(s+1))^(1/s)` when `s > 1`, infinity for a convex power.
    pub fn inflection(&self) -> f64 {
        match *self {
            Curve::Hill { k, s, .. } if s > 1.0 => k * ((s - 1.0) / (s + 1.0)).powf(1.0 / s),
            Curve::Power { b, .. } if b > 1.0 => f64::INFINITY,
            _ => 0.0,
        }
    }

    /// Whether the curve is concave on `[lo, hi]`.
    pub fn concave_on(&self, lo: f64, _hi: f64) -> bool {
        self.inflection() <= lo
    }

    /// The largest outcome the curve reaches (its saturation level, or infinity).
    pub fn ceiling(&self) -> f64 {
        match *self {
            Curve::Hill { a, .. } => a,
            Curve::Linear { a, cap } if a > 0.0 => cap.unwrap_or(f64::INFINITY),
            Curve::Linear { .. } => 0.0,
            Curve::Log { a, .. } | Curve::Power { a, .. } => {
                if a > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                }
            }
        }
    }

    /// The smallest spend reaching `outcome` (infinity when the curve never does).
    pub fn spend_for(&self, outcome: f64) -> f64 {
        if outcome <= 0.0 {
            return 0.0;
        }
        if outcome > self.ceiling() || (outcome == self.ceiling() && self.ceiling_is_asymptote()) {
            return f64::INFINITY;
        }
        match *self {
            Curve::Hill { a, k, s } => k * (outcome / (a - outcome)).powf(1.0 / s),
            Curve::Log { a, k } => k * (outcome / a).exp_m1(),
            Curve::Power { a, b } => (outcome / a).powf(1.0 / b),
            Curve::Linear { a, .. } => outcome / a,
        }
    }

    fn ceiling_is_asymptote(&self) -> bool {
        matches!(self, Curve::Hill { .. })
    }

    /// The spend where the slope is `t`, searching where the slope falls (at or above
    /// the inflection point, below `hi`). `None` when the slope never equals `t` there
    /// (callers compare the end points instead).
    pub fn spend_at_slope(&self, t: f64, hi: f64) -> Option<f64> {
        if t.is_nan() || t <= 0.0 {
            return None;
        }
        match *self {
            Curve::Log { a, k } => Some((a / t - k).max(0.0)),
            Curve::Power { a, b } if b < 1.0 => {
                if a <= 0.0 {
                    return None;
                }
                Some((t / (a * b)).powf(1.0 / (b - 1.0)))
            }
            Curve::Power { .. } | Curve::Linear { .. } => None,
            Curve::Hill { a, .. } => {
                if a <= 0.0 {
                    return None;
                }
                let start = self.inflection();
                if self.slope(start.max(f64::MIN_POSITIVE)) <= t && start > 0.0 {
                    return Some(start);
                }
                Some(self.falling_slope_root(t, start, hi))
            }
        }
    }

    /// Solves `slope(x) = t` where the slope falls (Hill beyond its inflection): a
    /// bracket by doubling, then Newton steps kept inside the bracket.
    fn falling_slope_root(&self, t: f64, start: f64, hi: f64) -> f64 {
        let mut lo = start;
        let mut up = if start > 0.0 {
            start * 2.0
        } else {
            match *self {
                Curve::Hill { k, .. } => k,
                _ => 1.0,
            }
        };
        let mut guard = 0;
        while self.slope(up) > t && guard < 2100 {
            lo = up;
            up *= 2.0;
            guard += 1;
            if up > hi && hi.is_finite() {
                up = hi;
                if self.slope(up) > t {
                    return hi;
                }
                break;
            }
        }
        if lo == 0.0 {
            // The slope may be infinite at 0 (s < 1): search on a log scale first.
            let mut tiny = up;
            while tiny > f64::MIN_POSITIVE && self.slope(tiny) < t {
                up = tiny;
                tiny /= 2.0;
            }
            lo = tiny;
        }
        let mut x = 0.5 * (lo + up);
        for _ in 0..200 {
            let g = self.slope(x) - t;
            if g == 0.0 {
                return x;
            }
            if g > 0.0 {
                lo = x;
            } else {
                up = x;
            }
            let curvature = self.curvature(x);
            let newton = if curvature < 0.0 {
                x - g / curvature
            } else {
                f64::NAN
            };
            let next = if newton > lo && newton < up {
                newton
            } else {
                0.5 * (lo + up)
            };
            // Converged: the step (Newton's, from one side) no longer moves x.
            if (next - x).abs() <= 2.0 * f64::EPSILON * x || up - lo <= 4.0 * f64::EPSILON * up {
                return next;
            }
            x = next;
        }
        x
    }

    /// The same response over `periods` periods spread evenly, counted in money when one
    /// unit of the decision costs `unit_cost`: `X ↦ periods·F(X / (unit_cost·periods))`.
    /// Stays in its family.
    pub fn scaled(&self, periods: f64, unit_cost: f64) -> Curve {
        let c = unit_cost * periods;
        match *self {
            Curve::Hill { a, k, s } => Curve::Hill {
                a: a * periods,
                k: k * c,
                s,
            },
            Curve::Log { a, k } => Curve::Log {
                a: a * periods,
                k: k * c,
            },
            Curve::Power { a, b } => Curve::Power {
                a: a * periods * c.powf(-b),
                b,
            },
            Curve::Linear { a, cap } => Curve::Linear {
                a: a / unit_cost,
                cap: cap.map(|c| c * periods),
            },
        }
    }

    /// Parses the text form: `family(name=value, …)`, names and family in any case,
    /// spaces anywhere; a bare number is read as Rust reads f64 (`1.2e6`, `-3`).
    pub fn parse(text: &str) -> Result<Curve, String> {
        let text = text.trim();
        let Some(open) = text.find('(') else {
            return Err(format!(
                "`{text}` is not a curve: write it as family(name=value, …), e.g. hill(a=1000, k=50, s=1.2)"
            ));
        };
        let Some(inner) = text[open + 1..].trim_end().strip_suffix(')') else {
            return Err(format!("`{text}`: the curve's `(` has no closing `)`"));
        };
        let family = text[..open].trim();
        let mut values: Vec<(String, f64)> = Vec::new();
        for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(format!("`{part}` in `{text}` is not name=value"));
            };
            let name = name.trim().to_ascii_lowercase();
            if !PARAMETER_NAMES.contains(&name.as_str()) {
                return Err(format!(
                    "`{name}` in `{text}` is not a curve parameter (they are {})",
                    PARAMETER_NAMES.join(", ")
                ));
            }
            if values.iter().any(|(n, _)| *n == name) {
                return Err(format!("`{name}` is given twice in `{text}`"));
            }
            let number: f64 = value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| format!("`{}` in `{text}` is not a number", value.trim()))?;
            values.push((name, number));
        }
        let curve = Curve::from_parts(family, |name| {
            values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
        })?;
        // A parameter the family does not use is a typo, not something to ignore.
        let used = curve.parameters();
        for (name, _) in &values {
            let position = PARAMETER_NAMES.iter().position(|p| p == name);
            if position.is_some_and(|p| used[p].is_none())
                && !(name == "cap" && family_is(family, "linear"))
            {
                return Err(format!(
                    "a {} curve has no `{name}` (it takes {})",
                    curve.family(),
                    curve.parameter_list()
                ));
            }
        }
        Ok(curve)
    }

    fn parameter_list(&self) -> &'static str {
        match self {
            Curve::Hill { .. } => "a, k and s",
            Curve::Log { .. } => "a and k",
            Curve::Power { .. } => "a and b",
            Curve::Linear { .. } => "a and optionally cap",
        }
    }
}

fn family_is(text: &str, family: &str) -> bool {
    text.trim().eq_ignore_ascii_case(family)
}

/// The text form, with every number written so that it reads back exactly.
impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.family())?;
        let mut first = true;
        for (name, value) in PARAMETER_NAMES.iter().zip(self.parameters()) {
            let Some(value) = value else { continue };
            if !first {
                write!(f, ", ")?;
            }
            first = false;
            write!(f, "{name}={value}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_slope(c: &Curve, x: f64) -> f64 {
        let h = x * 1e-6;
        (c.value(x + h) - c.value(x - h)) / (2.0 * h)
    }

    #[test]
    fn slopes_match_finite_differences() {
        let curves = [
            Curve::Hill {
                a: 100.0,
                k: 20.0,
                s: 2.5,
            },
            Curve::Hill {
                a: 5.0,
                k: 3.0,
                s: 0.7,
            },
            Curve::Log { a: 10.0, k: 4.0 },
            Curve::Power { a: 3.0, b: 0.5 },
            Curve::Power { a: 0.1, b: 1.7 },
        ];
        for c in curves {
            for x in [0.5, 3.0, 20.0, 77.0] {
                let (exact, numeric) = (c.slope(x), numeric_slope(&c, x));
                assert!(
                    (exact - numeric).abs() <= 1e-6 * exact.abs().max(1e-9),
                    "{c} at {x}: {exact} vs {numeric}"
                );
                let h = x * 1e-5;
                let second = (c.slope(x + h) - c.slope(x - h)) / (2.0 * h);
                assert!(
                    (c.curvature(x) - second).abs() <= 1e-4 * second.abs().max(1e-9),
                    "{c} F'' at {x}"
                );
            }
        }
    }

    #[test]
    fn hill_inflection_is_where_curvature_changes_sign() {
        let c = Curve::Hill {
            a: 1.0,
            k: 10.0,
            s: 3.0,
        };
        // k·((s−1)/(s+1))^(1/s) = 10·(0.5)^(1/3)
        let x = c.inflection();
        assert!((x - 10.0 * 0.5f64.powf(1.0 / 3.0)).abs() < 1e-12);
        assert!(c.curvature(x * 0.99) > 0.0 && c.curvature(x * 1.01) < 0.0);
    }

    #[test]
    fn spend_at_slope_inverts_the_slope() {
        let curves = [
            Curve::Hill {
                a: 100.0,
                k: 20.0,
                s: 2.5,
            },
            Curve::Hill {
                a: 5.0,
                k: 3.0,
                s: 0.7,
            },
            Curve::Hill {
                a: 5.0,
                k: 3.0,
                s: 1.0,
            },
            Curve::Log { a: 10.0, k: 4.0 },
            Curve::Power { a: 3.0, b: 0.5 },
        ];
        for c in curves {
            for x in [0.7f64, 4.0, 25.0, 400.0] {
                let t = c.slope(x.max(c.inflection() * 1.001));
                let back = c.spend_at_slope(t, f64::INFINITY).unwrap();
                assert!(
                    (c.slope(back) - t).abs() <= 1e-12 * t,
                    "{c}: slope {t} at {back}"
                );
            }
        }
    }

    #[test]
    fn spend_for_inverts_the_value() {
        let c = Curve::Hill {
            a: 100.0,
            k: 20.0,
            s: 2.5,
        };
        assert!((c.value(c.spend_for(40.0)) - 40.0).abs() < 1e-9);
        assert_eq!(c.spend_for(100.0), f64::INFINITY);
        let l = Curve::Linear {
            a: 2.0,
            cap: Some(10.0),
        };
        assert_eq!(l.spend_for(10.0), 5.0);
        assert_eq!(l.spend_for(10.5), f64::INFINITY);
    }

    #[test]
    fn scaling_keeps_the_family_and_the_meaning() {
        let curves = [
            Curve::Hill {
                a: 100.0,
                k: 20.0,
                s: 2.5,
            },
            Curve::Log { a: 10.0, k: 4.0 },
            Curve::Power { a: 3.0, b: 0.5 },
            Curve::Linear {
                a: 2.0,
                cap: Some(30.0),
            },
        ];
        for c in curves {
            let scaled = c.scaled(12.0, 3.0);
            for x in [1.0, 50.0, 900.0] {
                let expected = 12.0 * c.value(x / (3.0 * 12.0));
                assert!(
                    (scaled.value(x) - expected).abs() <= 1e-9 * expected.max(1.0),
                    "{c}"
                );
            }
        }
    }

    #[test]
    fn text_round_trips_and_mistakes_are_named() {
        for c in [
            Curve::Hill {
                a: 1234567.891,
                k: 0.1 + 0.2,
                s: 1.3,
            },
            Curve::Linear { a: 2.0, cap: None },
            Curve::Linear {
                a: 2.0,
                cap: Some(7.5),
            },
        ] {
            assert_eq!(Curve::parse(&c.to_string()), Ok(c));
        }
        assert_eq!(
            Curve::parse(" Hill( A = 2 , k=3,s=1 ) "),
            Ok(Curve::Hill {
                a: 2.0,
                k: 3.0,
                s: 1.0
            })
        );
        assert_eq!(
            Curve::parse("hill(a=2, k=3)").unwrap_err(),
            "a hill curve needs `s`"
        );
        assert_eq!(
            Curve::parse("log(a=2, k=3, s=1)").unwrap_err(),
            "a log curve has no `s` (it takes a and k)"
        );
        assert_eq!(
            Curve::parse("hill(a=2, k=-3, s=1)").unwrap_err(),
            "the hill curve's `k` must be above 0, it is -3"
        );
        assert!(
            Curve::parse("sigmoid(a=1)")
                .unwrap_err()
                .contains("not a curve family")
        );
        assert!(
            Curve::parse("hill a=1")
                .unwrap_err()
                .contains("not a curve")
        );
    }
}
