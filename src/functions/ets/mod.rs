//! Additive exponential smoothing (Holt-Winters): the model behind Excel's FORECAST.ETS
//! family and the forecast analysis — fitting, forecasts, prediction intervals,
//! accuracy statistics, seasonality detection and the automatic choice of components.
//!
//! The model, in Holt-Winters' form with every smoothing parameter in [0, 1]:
//!
//! ```text
//! forecast   ŷ_t = l_{t-1} + b_{t-1} + s_{t-m}
//! level      l_t = α (y_t − s_{t-m}) + (1 − α)(l_{t-1} + b_{t-1})
//! trend      b_t = β (l_t − l_{t-1}) + (1 − β) b_{t-1}
//! season     s_t = γ (y_t − l_t) + (1 − γ) s_{t-m}
//! h ahead    ŷ_{n+h} = l_n + h b_n + s_{n+h-m(⌊(h-1)/m⌋+1)}
//! ```
//!
//! A model without trend keeps `b = 0`; one without season keeps `s = 0`. Fitting
//! minimises the sum of squared one-step errors (the maximum-likelihood fit for additive
//! errors): the initial states are found by least squares for given parameters (the
//! errors are linear in them), the parameters by Nelder–Mead from the best point of a
//! coarse grid. Prediction intervals use the variance of the equivalent state-space
//! model (Hyndman et al., *Forecasting with Exponential Smoothing*, class 1):
//! `σ² (1 + Σ_{j<h} c_j²)` with `c_j = α + αβ j + γ(1 − α)[j ≡ 0 mod m]`.

mod fit;
mod kernel;

pub use fit::{Warm, fit, fit_auto, fit_auto_from, fit_from};

/// The components of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    pub trend: bool,
    /// Season length in steps; 0 for no season (1 is treated as 0).
    pub period: usize,
}

impl Form {
    fn season(&self) -> usize {
        if self.period >= 2 { self.period } else { 0 }
    }

    /// How many smoothing parameters and initial states the form estimates.
    fn estimated(&self) -> usize {
        let m = self.season();
        let smoothing = 1 + usize::from(self.trend) + usize::from(m > 0);
        let states = 1 + usize::from(self.trend) + m.saturating_sub(1);
        smoothing + states
    }
}

/// Smoothing parameters (Holt-Winters' form), each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoothing {
    /// Level.
    pub alpha: f64,
    /// Trend (0 without trend).
    pub beta: f64,
    /// Season (0 without season).
    pub gamma: f64,
}

/// Level, trend and seasonal states at one point in time.
#[derive(Debug, Clone, PartialEq)]
pub struct States {
    pub level: f64,
    pub slope: f64,
    /// The seasonal state for each of the next `period` steps, in order (empty without
    /// season). Before the first observation: `season[j]` is used at observation `j`.
    pub season: Vec<f64>,
}

/// A model run over a series: its parameters, the states after the last observation and
/// its in-sample one-step errors.
#[derive(Debug, Clone)]
pub struct Model {
    pub form: Form,
    pub smoothing: Smoothing,
    /// States after the last observation (`season[0]` applies one step ahead).
    pub last: States,
    /// Observations.
    pub n: usize,
    sse: f64,
    sae: f64,
    /// Σ 2|e| / (|ŷ| + |y|) over the steps where the denominator is not zero.
    smape_sum: f64,
    /// Σ |y_t − y_{t-1}|: the in-sample error of the naive forecast (for MASE).
    naive_sae: f64,
}

impl Model {
    /// The forecast `h` steps (h ≥ 1) after the last observation.
    pub fn forecast(&self, h: usize) -> f64 {
        let seasonal = if self.last.season.is_empty() {
            0.0
        } else {
            self.last.season[(h.max(1) - 1) % self.last.season.len()]
        };
        self.last.level + h as f64 * self.last.slope + seasonal
    }

    /// Half the width of the prediction interval at `confidence` (0 < c < 1), `h` steps
    /// ahead: the normal quantile times the forecast error's standard deviation.
    pub fn half_width(&self, h: usize, confidence: f64) -> f64 {
        let z = normal_quantile((1.0 + confidence) / 2.0);
        let Smoothing { alpha, beta, gamma } = self.smoothing;
        let m = self.form.season();
        let trend = if self.form.trend { alpha * beta } else { 0.0 };
        let season = if m > 0 { gamma * (1.0 - alpha) } else { 0.0 };
        let mut factor = 1.0;
        for j in 1..h.max(1) {
            let c = alpha + trend * j as f64 + if m > 0 && j % m == 0 { season } else { 0.0 };
            factor += c * c;
        }
        z * self.rmse() * factor.sqrt()
    }

    /// Sum of squared one-step errors.
    pub fn sse(&self) -> f64 {
        self.sse
    }

    /// Root mean squared one-step error (the σ of the intervals).
    pub fn rmse(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        (self.sse / self.n as f64).sqrt()
    }

    /// Mean absolute one-step error.
    pub fn mae(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.sae / self.n as f64
    }

    /// Symmetric mean absolute percentage error of the one-step forecasts.
    pub fn smape(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.smape_sum / self.n as f64
    }

    /// Mean absolute scaled error: MAE over the naive forecast's MAE; `None` when the
    /// series never changes but the model still errs.
    pub fn mase(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let naive = self.naive_sae / (self.n - 1) as f64;
        let mae = self.mae();
        if naive > 0.0 {
            Some(mae / naive)
        } else if mae == 0.0 {
            Some(0.0)
        } else {
            None
        }
    }

    /// The corrected Akaike information criterion of the fit, or `None` when the series
    /// is too short for the number of estimated values.
    pub fn aicc(&self) -> Option<f64> {
        let n = self.n as f64;
        let k = (self.form.estimated() + 1) as f64; // + σ
        if n - k - 1.0 <= 0.0 {
            return None;
        }
        let variance = (self.sse / n).max(f64::MIN_POSITIVE);
        Some(n * variance.ln() + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0))
    }
}

/// Runs the model over `y` from `initial` with `smoothing` and keeps what it learnt.
pub fn smooth(y: &[f64], form: Form, smoothing: Smoothing, initial: &States) -> Model {
    let m = form.season();
    let Smoothing { alpha, beta, gamma } = smoothing;
    let mut level = initial.level;
    let mut slope = if form.trend { initial.slope } else { 0.0 };
    let mut season: Vec<f64> = if m > 0 {
        (0..m)
            .map(|j| initial.season.get(j).copied().unwrap_or(0.0))
            .collect()
    } else {
        Vec::new()
    };
    let (mut sse, mut sae, mut smape_sum, mut naive_sae) = (0.0, 0.0, 0.0, 0.0);
    let mut j = 0usize;
    for (t, &value) in y.iter().enumerate() {
        let s = if m > 0 { season[j] } else { 0.0 };
        let fitted = level + slope + s;
        let error = value - fitted;
        sse += error * error;
        sae += error.abs();
        let denominator = fitted.abs() + value.abs();
        if denominator > 0.0 {
            smape_sum += 2.0 * error.abs() / denominator;
        }
        if t > 0 {
            naive_sae += (value - y[t - 1]).abs();
        }
        let new_level = alpha * (value - s) + (1.0 - alpha) * (level + slope);
        if form.trend {
            slope = beta * (new_level - level) + (1.0 - beta) * slope;
        }
        if m > 0 {
            season[j] = gamma * (value - new_level) + (1.0 - gamma) * s;
            j += 1;
            if j == m {
                j = 0;
            }
        }
        level = new_level;
    }
    if m > 0 {
        season.rotate_left(j);
    }
    Model {
        form,
        smoothing: Smoothing {
            alpha,
            beta: if form.trend { beta } else { 0.0 },
            gamma: if m > 0 { gamma } else { 0.0 },
        },
        last: States {
            level,
            slope,
            season,
        },
        n: y.len(),
        sse,
        sae,
        smape_sum,
        naive_sae,
    }
}

/// Starting states from the data alone: with a season, the means of the complete
/// seasons give the trend (their least-squares slope) and the level, and each
/// position's average departure from its season's trend line gives its seasonal state;
/// without, a straight line through the first ten points.
pub fn initial_states(y: &[f64], form: Form) -> Option<States> {
    let n = y.len();
    let m = form.season();
    if n == 0 {
        return None;
    }
    if let Some(seasons) = n.checked_div(m) {
        if seasons < 2 {
            return None;
        }
        let means: Vec<f64> = (0..seasons)
            .map(|i| y[i * m..(i + 1) * m].iter().sum::<f64>() / m as f64)
            .collect();
        let slope = if form.trend {
            line(&means).1 / m as f64
        } else {
            0.0
        };
        let centre = (m as f64 - 1.0) / 2.0;
        let mut season: Vec<f64> = (0..m)
            .map(|j| {
                (0..seasons)
                    .map(|i| y[i * m + j] - (means[i] + (j as f64 - centre) * slope))
                    .sum::<f64>()
                    / seasons as f64
            })
            .collect();
        let mean = season.iter().sum::<f64>() / m as f64;
        season.iter_mut().for_each(|s| *s -= mean);
        Some(States {
            level: means[0] - (centre + 1.0) * slope,
            slope,
            season,
        })
    } else {
        let head = &y[..n.min(10)];
        let (intercept, slope) = if form.trend && head.len() >= 2 {
            line(head)
        } else {
            (head.iter().sum::<f64>() / head.len() as f64, 0.0)
        };
        Some(States {
            level: intercept - slope,
            slope,
            season: Vec::new(),
        })
    }
}

/// Least-squares line through `(i, values[i])`: (intercept at 0, slope).
fn line(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = values.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in values.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (v - mean_y);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mean_y - slope * mean_x, slope)
}

/// The season length a series shows, or 0 when it shows none: the lag (2 up to half the
/// series) with the highest autocorrelation peak of the series around its straight-line
/// trend, if that peak is significant (above 1.96/√n, the 95% band of white noise).
pub fn detect_period(y: &[f64]) -> usize {
    let n = y.len();
    if n < 4 {
        return 0;
    }
    let (intercept, slope) = line(y);
    let residuals: Vec<f64> = y
        .iter()
        .enumerate()
        .map(|(t, v)| v - (intercept + slope * t as f64))
        .collect();
    let variance: f64 = residuals.iter().map(|r| r * r).sum();
    let scale: f64 = y.iter().map(|v| v * v).sum();
    // Also true for a NaN variance: no usable signal.
    if variance.partial_cmp(&(1e-20 * scale.max(1.0))) != Some(std::cmp::Ordering::Greater) {
        return 0;
    }
    let acf = |k: usize| -> f64 {
        residuals[..n - k]
            .iter()
            .zip(&residuals[k..])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / variance
    };
    let top = n / 2;
    let mut best = (0usize, 1.96 / (n as f64).sqrt());
    let mut previous = acf(1);
    let mut current = acf(2);
    for k in 2..=top {
        let next = if k < n - 1 {
            acf(k + 1)
        } else {
            f64::NEG_INFINITY
        };
        if current > best.1 && current >= previous && current >= next {
            best = (k, current);
        }
        previous = current;
        current = next;
    }
    best.0
}

/// The standard normal quantile: Acklam's rational approximation refined by one
/// Halley step on the exact distribution function (full double precision).
pub fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return if p == 0.0 {
            f64::NEG_INFINITY
        } else if p == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.024_25;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step: e = Φ(x) − p, u = e √(2π) e^{x²/2}.
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::kernel::least_squares_states;
    use super::*;

    const AAA: Form = Form {
        trend: true,
        period: 2,
    };

    /// The recursion worked by hand on four points, season 2:
    /// α = 0.5, β = 0.5, γ = 0.5, l0 = 10, b0 = 1, s = (+2, −2).
    #[test]
    fn smoothing_follows_the_recursion_worked_by_hand() {
        let y = [13.0, 9.0, 16.0, 11.0];
        let initial = States {
            level: 10.0,
            slope: 1.0,
            season: vec![2.0, -2.0],
        };
        let smoothing = Smoothing {
            alpha: 0.5,
            beta: 0.5,
            gamma: 0.5,
        };
        let model = smooth(&y, AAA, smoothing, &initial);
        // t=0: ŷ = 10+1+2 = 13, e = 0; l = .5(13−2)+.5(11) = 11; b = .5(1)+.5(1) = 1;
        //      s0 = .5(13−11)+.5(2) = 2.
        // t=1: ŷ = 11+1−2 = 10, e = −1; l = .5(9+2)+.5(12) = 11.5; b = .5(.5)+.5(1) = .75;
        //      s1 = .5(9−11.5)+.5(−2) = −2.25.
        // t=2: ŷ = 11.5+.75+2 = 14.25, e = 1.75; l = .5(14)+.5(12.25) = 13.125;
        //      b = .5(1.625)+.5(.75) = 1.1875; s0 = .5(16−13.125)+.5(2) = 2.4375.
        // t=3: ŷ = 13.125+1.1875−2.25 = 12.0625, e = −1.0625;
        //      l = .5(13.25)+.5(14.3125) = 13.78125; b = .5(.65625)+.5(1.1875) = .921875;
        //      s1 = .5(11−13.78125)+.5(−2.25) = −2.515625.
        assert_eq!(model.last.level, 13.78125);
        assert_eq!(model.last.slope, 0.921875);
        assert_eq!(model.last.season, vec![2.4375, -2.515625]);
        let sse = 1.0 + 1.75 * 1.75 + 1.0625 * 1.0625;
        assert!((model.sse() - sse).abs() < 1e-12);
        assert!((model.mae() - (1.0 + 1.75 + 1.0625) / 4.0).abs() < 1e-12);
        // One step ahead: 13.78125 + .921875 + 2.4375; two: + 2·.921875 − 2.515625.
        assert_eq!(model.forecast(1), 17.140625);
        assert_eq!(model.forecast(2), 13.109375);
        assert_eq!(model.forecast(3), 13.78125 + 3.0 * 0.921875 + 2.4375);
        // Interval: c1 = α + αβ·1 = .75; c2 = α + αβ·2 + γ(1−α) = 1.25.
        let sigma = (sse / 4.0_f64).sqrt();
        let z = 1.959_963_984_540_054;
        assert!((model.half_width(1, 0.95) - z * sigma).abs() < 1e-12);
        assert!((model.half_width(2, 0.95) - z * sigma * (1.0 + 0.5625_f64).sqrt()).abs() < 1e-12);
        assert!(
            (model.half_width(3, 0.95) - z * sigma * (1.0 + 0.5625 + 1.5625_f64).sqrt()).abs()
                < 1e-12
        );
    }

    #[test]
    fn an_exact_trend_and_season_is_recovered_exactly() {
        let pattern = [5.0, -3.0, 1.0, -3.0];
        let y: Vec<f64> = (0..16)
            .map(|t| 10.0 + 2.0 * t as f64 + pattern[t % 4])
            .collect();
        let model = fit(
            &y,
            Form {
                trend: true,
                period: 4,
            },
        )
        .unwrap();
        for h in 1..=8 {
            let t = 15 + h;
            let expected = 10.0 + 2.0 * t as f64 + pattern[t % 4];
            assert!((model.forecast(h) - expected).abs() < 1e-9, "h={h}");
        }
        assert!(model.rmse() < 1e-9);
        assert_eq!(detect_period(&y), 4);
        let line: Vec<f64> = (0..12).map(|t| 3.0 + 2.0 * t as f64).collect();
        assert_eq!(detect_period(&line), 0);
        let auto = fit_auto(&line, 0).unwrap();
        assert!((auto.forecast(1) - 27.0).abs() < 1e-9);
    }

    #[test]
    fn initial_states_are_least_squares_for_the_parameters() {
        // The least-squares states leave no better states nearby.
        let y = [12.0, 7.0, 15.0, 9.0, 17.0, 10.0, 18.5, 13.0];
        let smoothing = Smoothing {
            alpha: 0.4,
            beta: 0.2,
            gamma: 0.3,
        };
        let best = least_squares_states(&y, AAA, smoothing).unwrap();
        assert!((best.season.iter().sum::<f64>()).abs() < 1e-9);
        let base = smooth(&y, AAA, smoothing, &best).sse();
        for (dl, db, ds) in [(0.01, 0.0, 0.0), (0.0, 0.01, 0.0), (0.0, 0.0, 0.01)] {
            for sign in [-1.0, 1.0] {
                let moved = States {
                    level: best.level + sign * dl,
                    slope: best.slope + sign * db,
                    season: vec![best.season[0] + sign * ds, best.season[1] - sign * ds],
                };
                assert!(smooth(&y, AAA, smoothing, &moved).sse() > base);
            }
        }
    }

    #[test]
    fn normal_quantiles_match_the_tables() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((normal_quantile(0.95) - 1.644_853_626_951_472_2).abs() < 1e-14);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_5).abs() < 1e-12);
    }
}
