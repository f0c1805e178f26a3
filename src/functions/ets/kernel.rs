//! The inner loops of fitting an ETS model: the sum of squared one-step errors for a few
//! parameter sets in one pass, and the least-squares initial states, whose accumulation
//! carries over to the same series one month longer. Each gives, bit for bit, what the
//! plain one-set-at-a-time loop gives.

use super::{Form, Smoothing, States};

/// Parameter sets evaluated in one pass. The one-step recursion is a chain of dependent
/// additions, so a few independent sets side by side cost little more than one.
pub(super) const LANES: usize = 4;

/// Scratch space for [`sse_batch`]: one row of seasonal states per season position.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    season: Vec<[f64; LANES]>,
}

/// The sum of squared one-step errors of `y` for each pair of `smoothing[i]` and
/// `initial[i]` (at most [`LANES`] pairs, the same number of each), into `out[i]`: the
/// objective the fit minimises.
pub(super) fn sse_batch(
    y: &[f64],
    form: Form,
    smoothing: &[Smoothing],
    initial: &[&States],
    scratch: &mut Scratch,
    out: &mut [f64],
) {
    let m = form.season();
    scratch.season.resize(m, [0.0; LANES]);
    let season = &mut scratch.season[..];
    let lanes = Lanes {
        smoothing,
        initial,
        out,
    };
    match smoothing.len() {
        0 => {}
        1 => lanes.run::<1>(y, form.trend, season),
        2 => lanes.run::<2>(y, form.trend, season),
        _ => lanes.run::<LANES>(y, form.trend, season),
    }
}

/// The parameter sets of one [`sse_batch`] call.
struct Lanes<'a, 'b> {
    smoothing: &'a [Smoothing],
    initial: &'a [&'b States],
    out: &'a mut [f64],
}

impl Lanes<'_, '_> {
    fn run<const L: usize>(self, y: &[f64], trend: bool, season: &mut [[f64; LANES]]) {
        match (trend, !season.is_empty()) {
            (false, false) => self.sse::<L, false, false>(y, season),
            (true, false) => self.sse::<L, true, false>(y, season),
            (false, true) => self.sse::<L, false, true>(y, season),
            (true, true) => self.sse::<L, true, true>(y, season),
        }
    }

    /// `L` lanes (the sets beyond the last given repeat it).
    fn sse<const L: usize, const TREND: bool, const SEASON: bool>(
        self,
        y: &[f64],
        season: &mut [[f64; LANES]],
    ) {
        let given = self.smoothing.len().min(self.initial.len()).min(L);
        if given == 0 {
            return;
        }
        let lane = |i: usize| i.min(given - 1);
        let alpha: [f64; L] = std::array::from_fn(|i| self.smoothing[lane(i)].alpha);
        let beta: [f64; L] = std::array::from_fn(|i| self.smoothing[lane(i)].beta);
        let gamma: [f64; L] = std::array::from_fn(|i| self.smoothing[lane(i)].gamma);
        let keep_slope: [f64; L] = std::array::from_fn(|i| 1.0 - beta[i]);
        let keep_season: [f64; L] = std::array::from_fn(|i| 1.0 - gamma[i]);
        let mut level: [f64; L] = std::array::from_fn(|i| self.initial[lane(i)].level);
        let mut slope: [f64; L] = std::array::from_fn(|i| {
            if TREND {
                self.initial[lane(i)].slope
            } else {
                0.0
            }
        });
        let m = season.len();
        if SEASON {
            for (j, row) in season.iter_mut().enumerate() {
                for (i, s) in row.iter_mut().enumerate().take(L) {
                    *s = self.initial[lane(i)].season.get(j).copied().unwrap_or(0.0);
                }
            }
        }
        let mut total = [0.0; L];
        let mut j = 0usize;
        for &value in y {
            let mut s = [0.0; L];
            if SEASON {
                s.copy_from_slice(&season[j][..L]);
            }
            for i in 0..L {
                let error = value - (level[i] + slope[i] + s[i]);
                total[i] += error * error;
                let new_level = level[i] + slope[i] + alpha[i] * error;
                if TREND {
                    slope[i] = beta[i] * (new_level - level[i]) + keep_slope[i] * slope[i];
                }
                if SEASON {
                    season[j][i] = gamma[i] * (value - new_level) + keep_season[i] * s[i];
                }
                level[i] = new_level;
            }
            if SEASON {
                j += 1;
                if j == m {
                    j = 0;
                }
            }
        }
        for (out, total) in self.out.iter_mut().zip(total).take(given) {
            *out = total;
        }
    }
}

/// The normal equations for the initial states that minimise the squared one-step
/// errors for fixed smoothing parameters, accumulated one observation at a time. Every
/// state is an affine function of the unknown initial states, so the pass carries those
/// functions (a constant and one coefficient per unknown). The seasonal states are
/// constrained to sum to 0 (otherwise level and season could trade a constant). The
/// coefficients never depend on the data, so an accumulation over a series continues
/// over the same series one month longer.
#[derive(Debug, Clone)]
pub(super) struct Accumulation {
    form: Form,
    smoothing: Smoothing,
    unknowns: usize,
    /// `unknowns + 1`: index 0 of each state is its constant part.
    width: usize,
    level: Vec<f64>,
    slope: Vec<f64>,
    /// `m` rows of `width`; without season, one row of zeros.
    season: Vec<f64>,
    new_level: Vec<f64>,
    error: Vec<f64>,
    normal: Vec<f64>,
    rhs: Vec<f64>,
    /// The season position of the next observation.
    j: usize,
    /// The observations taken in so far.
    seen: Vec<f64>,
}

impl Accumulation {
    /// Nothing observed yet (`form.period` already 0 when below 2).
    pub(super) fn new(form: Form, smoothing: Smoothing) -> Self {
        let m = form.season();
        let unknowns = 1 + usize::from(form.trend) + m.saturating_sub(1);
        let width = unknowns + 1;
        let mut level = vec![0.0; width];
        level[1] = 1.0;
        let mut slope = vec![0.0; width];
        if form.trend {
            slope[2] = 1.0;
        }
        let first_season = 2 + usize::from(form.trend);
        let mut season = vec![0.0; m.max(1) * width];
        for j in 0..m {
            let row = &mut season[j * width..(j + 1) * width];
            if j + 1 < m {
                row[first_season + j] = 1.0;
            } else {
                for k in 0..m - 1 {
                    row[first_season + k] = -1.0;
                }
            }
        }
        Accumulation {
            form,
            smoothing,
            unknowns,
            width,
            level,
            slope,
            season,
            new_level: vec![0.0; width],
            error: vec![0.0; width],
            normal: vec![0.0; unknowns * unknowns],
            rhs: vec![0.0; unknowns],
            j: 0,
            seen: Vec::new(),
        }
    }

    /// Whether this accumulation is the start of `y`'s for `form` and `smoothing`.
    pub(super) fn continues(&self, y: &[f64], form: Form, smoothing: Smoothing) -> bool {
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        self.form == form
            && same(self.smoothing.alpha, smoothing.alpha)
            && same(self.smoothing.beta, smoothing.beta)
            && same(self.smoothing.gamma, smoothing.gamma)
            && y.len() >= self.seen.len()
            && self.seen.iter().zip(y).all(|(a, b)| same(*a, *b))
    }

    /// Takes in the observations of `y` after those already seen (`y` must continue
    /// them, see [`Accumulation::continues`]).
    pub(super) fn extend_to(&mut self, y: &[f64]) {
        let from = self.seen.len().min(y.len());
        let m = self.form.season();
        for &value in &y[from..] {
            match (self.form.trend, m > 0) {
                (false, false) => self.step::<false, false>(value),
                (true, false) => self.step::<true, false>(value),
                (false, true) => self.step::<false, true>(value),
                (true, true) => self.step::<true, true>(value),
            }
            if m > 0 {
                self.j += 1;
                if self.j == m {
                    self.j = 0;
                }
            }
        }
        self.seen.extend_from_slice(&y[from..]);
    }

    fn step<const TREND: bool, const SEASON: bool>(&mut self, value: f64) {
        let (w, unknowns) = (self.width, self.unknowns);
        let Smoothing { alpha, beta, gamma } = self.smoothing;
        let row = if SEASON { self.j * w } else { 0 };
        let level = &self.level[..w];
        let slope = &mut self.slope[..w];
        let season = &mut self.season[row..row + w];
        let error = &mut self.error[..w];
        error[0] = value - (level[0] + slope[0] + season[0]);
        for k in 1..w {
            error[k] = 0.0 - (level[k] + slope[k] + season[k]);
        }
        let e0 = error[0];
        for a in 0..unknowns {
            let ea = error[a + 1];
            self.rhs[a] -= e0 * ea;
            let normal = &mut self.normal[a * unknowns + a..(a + 1) * unknowns];
            for (n, eb) in normal.iter_mut().zip(&error[a + 1..]) {
                *n += ea * eb;
            }
        }
        let new_level = &mut self.new_level[..w];
        let keep_level = 1.0 - alpha;
        new_level[0] = alpha * (value - season[0]) + keep_level * (level[0] + slope[0]);
        for k in 1..w {
            new_level[k] = alpha * (0.0 - season[k]) + keep_level * (level[k] + slope[k]);
        }
        if TREND {
            let keep = 1.0 - beta;
            for k in 0..w {
                slope[k] = beta * (new_level[k] - level[k]) + keep * slope[k];
            }
        }
        if SEASON {
            let keep = 1.0 - gamma;
            season[0] = gamma * (value - new_level[0]) + keep * season[0];
            for k in 1..w {
                season[k] = gamma * (0.0 - new_level[k]) + keep * season[k];
            }
        }
        std::mem::swap(&mut self.level, &mut self.new_level);
    }

    /// The least-squares initial states for the observations seen; `None` when the
    /// normal equations are numerically singular.
    pub(super) fn solve(&self) -> Option<States> {
        let unknowns = self.unknowns;
        let mut normal = self.normal.clone();
        let mut rhs = self.rhs.clone();
        for a in 0..unknowns {
            for b in 0..a {
                normal[a * unknowns + b] = normal[b * unknowns + a];
            }
        }
        let x = solve_symmetric(&mut normal, &mut rhs, unknowns)?;
        let m = self.form.season();
        let first_season = 2 + usize::from(self.form.trend);
        let mut season0 = Vec::with_capacity(m);
        if m > 0 {
            let free = &x[first_season - 1..];
            season0.extend_from_slice(free);
            season0.push(-free.iter().sum::<f64>());
        }
        Some(States {
            level: x[0],
            slope: if self.form.trend { x[1] } else { 0.0 },
            season: season0,
        })
    }
}

/// The initial states that minimise the squared one-step errors of `y` for fixed
/// smoothing parameters (see [`Accumulation`]).
#[cfg(test)]
pub(super) fn least_squares_states(y: &[f64], form: Form, smoothing: Smoothing) -> Option<States> {
    let mut accumulation = Accumulation::new(
        Form {
            period: form.season(),
            ..form
        },
        smoothing,
    );
    accumulation.extend_to(y);
    accumulation.solve()
}

/// Solves `a x = b` for a symmetric positive semi-definite `a` (n × n, row major) by
/// Cholesky with a tiny ridge; `None` when it is numerically singular.
fn solve_symmetric(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    let scale = (0..n).map(|i| a[i * n + i].abs()).fold(0.0, f64::max);
    if !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    for i in 0..n {
        a[i * n + i] += scale * 1e-12;
    }
    for i in 0..n {
        for k in 0..i {
            let mut sum = a[i * n + k];
            for p in 0..k {
                sum -= a[i * n + p] * a[k * n + p];
            }
            a[i * n + k] = sum / a[k * n + k];
        }
        let mut diagonal = a[i * n + i];
        for p in 0..i {
            diagonal -= a[i * n + p] * a[i * n + p];
        }
        if diagonal <= scale * 1e-15 {
            return None;
        }
        a[i * n + i] = diagonal.sqrt();
    }
    for i in 0..n {
        let mut sum = b[i];
        for p in 0..i {
            sum -= a[i * n + p] * b[p];
        }
        b[i] = sum / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut sum = b[i];
        for p in i + 1..n {
            sum -= a[p * n + i] * b[p];
        }
        b[i] = sum / a[i * n + i];
    }
    b.iter().all(|v| v.is_finite()).then(|| b.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The objective written plainly, one parameter set at a time (a second
    /// implementation to hold the batched one to).
    fn plain_sse(y: &[f64], form: Form, smoothing: Smoothing, initial: &States) -> f64 {
        let m = form.season();
        let Smoothing { alpha, beta, gamma } = smoothing;
        let mut level = initial.level;
        let mut slope = if form.trend { initial.slope } else { 0.0 };
        let mut season: Vec<f64> = (0..m)
            .map(|j| initial.season.get(j).copied().unwrap_or(0.0))
            .collect();
        let mut total = 0.0;
        for (t, &value) in y.iter().enumerate() {
            let s = if m > 0 { season[t % m] } else { 0.0 };
            let error = value - (level + slope + s);
            total += error * error;
            let new_level = level + slope + alpha * error;
            if form.trend {
                slope = beta * (new_level - level) + (1.0 - beta) * slope;
            }
            if m > 0 {
                season[t % m] = gamma * (value - new_level) + (1.0 - gamma) * s;
            }
            level = new_level;
        }
        total
    }

    fn series() -> Vec<f64> {
        (0..30)
            .map(|t| 100.0 + 3.0 * t as f64 + [9.0, -4.0, 2.0, -7.0][t % 4] + ((t * 7) % 5) as f64)
            .collect()
    }

    #[test]
    fn batched_sums_equal_one_set_at_a_time_bit_for_bit() {
        let y = series();
        let initial = [
            States {
                level: 101.0,
                slope: 2.5,
                season: vec![8.0, -3.0, 1.0, -6.0],
            },
            States {
                level: 97.0,
                slope: -1.0,
                season: vec![1.0, 2.0],
            },
        ];
        let sets: Vec<Smoothing> = [
            (0.1, 0.05, 0.3),
            (0.9, 0.3, 0.05),
            (0.45, 0.0, 1.0),
            (1.0, 1.0, 0.0),
        ]
        .into_iter()
        .map(|(alpha, beta, gamma)| Smoothing { alpha, beta, gamma })
        .collect();
        let mut scratch = Scratch::default();
        for trend in [false, true] {
            for period in [0, 4] {
                let form = Form { trend, period };
                for lanes in 1..=LANES {
                    let from: Vec<&States> = (0..lanes).map(|i| &initial[i % 2]).collect();
                    let mut out = vec![f64::NAN; lanes];
                    sse_batch(&y, form, &sets[..lanes], &from, &mut scratch, &mut out);
                    for i in 0..lanes {
                        let plain = plain_sse(&y, form, sets[i], from[i]);
                        assert_eq!(
                            out[i].to_bits(),
                            plain.to_bits(),
                            "{form:?}, {lanes} lanes, lane {i}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_continued_accumulation_equals_a_fresh_one_bit_for_bit() {
        let y = series();
        let smoothing = Smoothing {
            alpha: 0.35,
            beta: 0.1,
            gamma: 0.2,
        };
        for trend in [false, true] {
            for period in [0, 4] {
                let form = Form { trend, period };
                let mut carried = Accumulation::new(form, smoothing);
                carried.extend_to(&y[..20]);
                assert!(carried.continues(&y, form, smoothing));
                carried.extend_to(&y);
                let fresh = least_squares_states(&y, form, smoothing).unwrap();
                assert_eq!(carried.solve().unwrap(), fresh, "{form:?}");
                // Another series, other parameters or another form do not continue it.
                let mut other = y.clone();
                other[3] += 1.0;
                assert!(!carried.continues(&other, form, smoothing));
                let slower = Smoothing {
                    alpha: 0.3,
                    ..smoothing
                };
                assert!(!carried.continues(&y, form, slower));
                assert!(!carried.continues(
                    &y,
                    Form {
                        trend: !trend,
                        period
                    },
                    smoothing
                ));
            }
        }
    }
}
