//! Least-squares fitting of response curves to spend history. Each key's curve is
//! fitted by variable projection (the level `a` in closed form, the shape by a grid and
//! Nelder–Mead); with periods, an effect shared by every key — a seasonal index by
//! calendar month and a trend, `exp(trend·t + season[month])` — is fitted jointly by
//! alternating the two steps, so a month that was strong for everyone does not pass for
//! a response to spend.

use super::curve::Curve;

/// One period of one key's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub spend: f64,
    pub outcome: f64,
    /// Index of the period (dense, in time order) when periods are given.
    pub period: Option<usize>,
}

/// A family to fit, or the best of all four by AICc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyChoice {
    Hill,
    Log,
    Power,
    Linear,
    Best,
}

impl FamilyChoice {
    pub fn parse(text: &str) -> Option<FamilyChoice> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "hill" => FamilyChoice::Hill,
            "log" => FamilyChoice::Log,
            "power" => FamilyChoice::Power,
            "linear" => FamilyChoice::Linear,
            "best" => FamilyChoice::Best,
            _ => return None,
        })
    }

    fn families(self) -> &'static [FamilyChoice] {
        match self {
            FamilyChoice::Best => &[
                FamilyChoice::Hill,
                FamilyChoice::Log,
                FamilyChoice::Power,
                FamilyChoice::Linear,
            ],
            FamilyChoice::Hill => &[FamilyChoice::Hill],
            FamilyChoice::Log => &[FamilyChoice::Log],
            FamilyChoice::Power => &[FamilyChoice::Power],
            FamilyChoice::Linear => &[FamilyChoice::Linear],
        }
    }

    /// Parameters fitted (for the degrees of freedom).
    pub fn parameter_count(self) -> usize {
        match self {
            FamilyChoice::Hill => 3,
            _ => 2,
        }
    }
}

/// A fitted (or given) curve and how well it describes the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub curve: Curve,
    /// Periods used.
    pub n: usize,
    pub r2: f64,
    pub rmse: f64,
    /// Relative standard error of the curve over the observed spend (delta method on
    /// the parameters' covariance); NaN when it cannot be estimated (a parameter at its
    /// search limit), 0 for a given curve.
    pub level_error: f64,
    /// A shape parameter that ended at the edge of its search range.
    pub at_limit: Option<String>,
}

/// A period of the history: its time in months and its calendar month (0 = January).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub t: f64,
    pub month: usize,
}

/// Every key's fit, and the period effects when periods were used.
#[derive(Debug, Clone)]
pub struct FitAll {
    pub keys: Vec<Result<Fitted, String>>,
    /// The effect of each period (1 = the recent average), when fitted.
    pub period_effects: Option<Vec<f64>>,
    pub rounds: usize,
}

/// Rounds of alternating the curves and the period effects, at most.
const MAX_ROUNDS: usize = 400;

/// Fits every key. `given[i]` replaces key `i`'s fit with a given curve (still scored
/// against the history). Period effects are fitted when periods are given and at least
/// two keys have data; they are scaled so the last `recent` periods average 1.
pub fn fit_all(
    keys: &[Vec<Observation>],
    period_info: &[Period],
    family: FamilyChoice,
    recent: usize,
    given: &[Option<Curve>],
) -> FitAll {
    let usable: Vec<bool> = keys
        .iter()
        .enumerate()
        .map(|(i, obs)| given.get(i).is_some_and(Option::is_some) || enough(obs, family).is_ok())
        .collect();
    let periods = period_info.len();
    let joint = periods > 0 && usable.iter().filter(|u| **u).count() >= 2;
    let mut effects = vec![1.0; periods];
    let mut fits: Vec<Option<Curve>> = vec![None; keys.len()];
    let mut previous = f64::INFINITY;
    let mut rounds = 0;
    for round in 0..if joint { MAX_ROUNDS } else { 1 } {
        rounds = round + 1;
        for (i, obs) in keys.iter().enumerate() {
            if let Some(Some(curve)) = given.get(i) {
                fits[i] = Some(*curve);
            } else if usable[i] {
                let weights = weights_of(obs, &effects, joint);
                // After the first round, each key's search starts where it ended.
                let warm = if round > 0 { fits[i] } else { None };
                fits[i] = fit_key(obs, &weights, family, warm).map(|(c, _)| c);
            }
        }
        if !joint {
            break;
        }
        // Each period's effect: least squares of the outcomes on the fitted curves.
        let mut num = vec![0.0; periods];
        let mut den = vec![0.0; periods];
        for (i, obs) in keys.iter().enumerate() {
            let Some(curve) = fits[i] else { continue };
            if given.get(i).is_some_and(Option::is_some) {
                continue;
            }
            for o in obs.iter().filter(|o| valid(o)) {
                if let Some(p) = o.period.filter(|p| *p < periods) {
                    let f = curve.value(o.spend);
                    num[p] += o.outcome * f;
                    den[p] += f * f;
                }
            }
        }
        for p in 0..periods {
            if den[p] > 0.0 {
                effects[p] = num[p] / den[p];
            }
        }
        smooth_effects(&mut effects, &den, period_info);
        normalize_recent(&mut effects, &den, recent);
        let rss: f64 = keys
            .iter()
            .zip(&fits)
            .filter_map(|(obs, fit)| fit.map(|c| rss_of(obs, &c, &weights_of(obs, &effects, true))))
            .sum();
        if (previous - rss).abs() <= 1e-13 * rss.max(f64::MIN_POSITIVE) || rss <= 1e-300 {
            break;
        }
        previous = rss;
    }
    let results = keys
        .iter()
        .enumerate()
        .map(|(i, obs)| {
            let weights = weights_of(obs, &effects, joint);
            match (given.get(i).copied().flatten(), usable[i]) {
                (Some(curve), _) => Ok(score(obs, &weights, curve, None, 0)),
                (None, true) => match fit_key(obs, &weights, family, None) {
                    Some((curve, limit)) => {
                        let p = parameter_count(&curve);
                        Ok(score(obs, &weights, curve, limit, p))
                    }
                    None => Err("the fit did not converge on this history".to_string()),
                },
                (None, false) => Err(enough(obs, family).err().unwrap_or_default()),
            }
        })
        .collect();
    FitAll {
        keys: results,
        period_effects: joint.then_some(effects),
        rounds,
    }
}

fn valid(o: &Observation) -> bool {
    o.spend.is_finite() && o.spend > 0.0 && o.outcome.is_finite() && o.outcome >= 0.0
}

/// Whether a key's history can be fitted at all, and why not.
fn enough(obs: &[Observation], family: FamilyChoice) -> Result<(), String> {
    let good: Vec<&Observation> = obs.iter().filter(|o| valid(o)).collect();
    let needed = match family {
        FamilyChoice::Best => 4,
        f => f.parameter_count() + 1,
    };
    if good.is_empty() {
        return Err("no period with spend above 0 in the history".into());
    }
    if good.len() < needed {
        return Err(format!(
            "{} with spend in the history; fitting needs at least {needed}",
            plural(good.len(), "period")
        ));
    }
    let (lo, hi) = good.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), o| {
        (lo.min(o.spend), hi.max(o.spend))
    });
    if hi <= lo * (1.0 + 1e-9) {
        return Err(format!(
            "spend is the same in every period ({}): how the outcome answers spend cannot be seen",
            format_number(lo)
        ));
    }
    Ok(())
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A number for messages: thousands separated, at most two decimals.
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let negative = x < 0.0;
    let rounded = (x.abs() * 100.0).round() / 100.0;
    let whole = rounded.trunc() as u64;
    let cents = ((rounded - rounded.trunc()) * 100.0).round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if cents > 0 {
        out.push_str(&format!(".{cents:02}"));
    }
    if negative && (whole > 0 || cents > 0) {
        out.insert(0, '-');
    }
    out
}

fn weights_of(obs: &[Observation], effects: &[f64], joint: bool) -> Vec<f64> {
    obs.iter()
        .map(|o| match (joint, o.period) {
            (true, Some(p)) => effects.get(p).copied().unwrap_or(1.0),
            _ => 1.0,
        })
        .collect()
}

/// Replaces free per-period effects by their fit `ln effect = trend·t + season[month]`
/// (weighted by each period's information), so 30 months of history estimate 13 numbers
/// rather than 30. Without enough periods for a trend, calendar months alone.
fn smooth_effects(effects: &mut [f64], den: &[f64], periods: &[Period]) {
    let used: Vec<usize> = (0..effects.len())
        .filter(|&p| den[p] > 0.0 && effects[p] > 0.0)
        .collect();
    let mut months: Vec<usize> = used.iter().map(|&p| periods[p].month).collect();
    months.sort_unstable();
    months.dedup();
    let with_trend = used.len() >= 15 && months.len() >= 2;
    let columns = months.len() + usize::from(with_trend);
    if columns == 0 || used.len() <= columns {
        return;
    }
    let t_mean = used.iter().map(|&p| periods[p].t).sum::<f64>() / used.len() as f64;
    let row_of = |p: usize| -> Vec<f64> {
        let mut row = vec![0.0; columns];
        if let Some(j) = months.iter().position(|m| *m == periods[p].month) {
            row[j] = 1.0;
        }
        if with_trend {
            row[columns - 1] = periods[p].t - t_mean;
        }
        row
    };
    let mut normal = vec![vec![0.0; columns + 1]; columns];
    for &p in &used {
        let (row, y, w) = (row_of(p), effects[p].ln(), den[p]);
        for i in 0..columns {
            for j in 0..columns {
                normal[i][j] += w * row[i] * row[j];
            }
            normal[i][columns] += w * row[i] * y;
        }
    }
    let Some(beta) = solve_linear(normal) else {
        return;
    };
    for (p, effect) in effects.iter_mut().enumerate() {
        let row = row_of(p);
        if row.iter().all(|v| *v == 0.0) {
            continue;
        }
        let fitted: f64 = row.iter().zip(&beta).map(|(x, b)| x * b).sum();
        *effect = fitted.exp();
    }
}

/// Gaussian elimination on an augmented matrix `[A | b]`; `None` when singular.
pub fn solve_linear(mut m: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = m.len();
    let scale = m
        .iter()
        .flat_map(|row| row[..n].iter())
        .fold(0.0f64, |acc, v| acc.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() <= 1e-13 * scale {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col].clone();
        for (row, values) in m.iter_mut().enumerate() {
            if row != col {
                let factor = values[col] / pivot_row[col];
                for (x, p) in values[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= factor * p;
                }
            }
        }
    }
    Some((0..n).map(|i| m[i][n] / m[i][i]).collect())
}

/// Scales the effects so the last `recent` periods with data average 1.
fn normalize_recent(effects: &mut [f64], den: &[f64], recent: usize) {
    let with_data: Vec<usize> = (0..effects.len()).filter(|&p| den[p] > 0.0).collect();
    let tail = &with_data[with_data.len().saturating_sub(recent.max(1))..];
    let mean = tail.iter().map(|&p| effects[p]).sum::<f64>() / tail.len().max(1) as f64;
    if mean > 0.0 && mean.is_finite() {
        for e in effects.iter_mut() {
            *e /= mean;
        }
    }
}

fn rss_of(obs: &[Observation], curve: &Curve, weights: &[f64]) -> f64 {
    obs.iter()
        .zip(weights)
        .filter(|(o, _)| valid(o))
        .map(|(o, w)| (o.outcome - w * curve.value(o.spend)).powi(2))
        .sum()
}

fn parameter_count(curve: &Curve) -> usize {
    curve.parameters().iter().filter(|p| p.is_some()).count()
}

/// R², RMSE and the level's standard error of `curve` against the history.
fn score(
    obs: &[Observation],
    weights: &[f64],
    curve: Curve,
    at_limit: Option<String>,
    fitted_parameters: usize,
) -> Fitted {
    let pairs: Vec<(&Observation, f64)> = obs
        .iter()
        .zip(weights.iter().copied())
        .filter(|(o, _)| valid(o))
        .collect();
    let n = pairs.len();
    let rss: f64 = pairs
        .iter()
        .map(|(o, w)| (o.outcome - w * curve.value(o.spend)).powi(2))
        .sum();
    let mean = pairs.iter().map(|(o, _)| o.outcome).sum::<f64>() / n.max(1) as f64;
    let tss: f64 = pairs.iter().map(|(o, _)| (o.outcome - mean).powi(2)).sum();
    let r2 = if tss > 0.0 { 1.0 - rss / tss } else { 0.0 };
    let rmse = (rss / n.max(1) as f64).sqrt();
    let level_error = if fitted_parameters > 0 && n > fitted_parameters {
        level_error(&pairs, &curve, rss / (n - fitted_parameters) as f64)
    } else {
        0.0
    };
    Fitted {
        curve,
        n,
        r2,
        rmse,
        level_error,
        at_limit,
    }
}

/// The parameters' gradient of the curve at `x`.
fn gradient(curve: &Curve, x: f64) -> Vec<f64> {
    match *curve {
        Curve::Hill { a, k, s } => {
            let r = (x / k).powf(s);
            let d = (1.0 + r) * (1.0 + r);
            vec![
                r / (1.0 + r),
                -a * s * r / (k * d),
                a * r * (x / k).ln() / d,
            ]
        }
        Curve::Log { a, k } => vec![(x / k).ln_1p(), -a * x / (k * (k + x))],
        Curve::Power { a, b } => vec![x.powf(b), a * x.powf(b) * x.ln()],
        Curve::Linear { a, cap } => match cap {
            Some(c) if a * x >= c => vec![0.0, 1.0],
            Some(_) => vec![x, 0.0],
            None => vec![x],
        },
    }
}

/// Mean relative standard error of the fitted curve over the observed spend:
/// `σ²·(JᵀJ)⁻¹` for the parameters, then `gᵀΣg` at each spend.
fn level_error(pairs: &[(&Observation, f64)], curve: &Curve, sigma2: f64) -> f64 {
    let p = gradient(curve, 1.0).len();
    let mut jtj = vec![vec![0.0; p]; p];
    for (o, w) in pairs {
        let g = gradient(curve, o.spend);
        for i in 0..p {
            for j in 0..p {
                jtj[i][j] += w * w * g[i] * g[j];
            }
        }
    }
    let Some(inverse) = invert(jtj) else {
        return f64::NAN;
    };
    let mut total = 0.0;
    let mut count = 0usize;
    for (o, _) in pairs {
        let g = gradient(curve, o.spend);
        let mut variance = 0.0;
        for i in 0..p {
            for j in 0..p {
                variance += g[i] * inverse[i][j] * g[j];
            }
        }
        let f = curve.value(o.spend);
        if f > 0.0 && variance >= 0.0 {
            total += (sigma2 * variance).sqrt() / f;
            count += 1;
        }
    }
    if count == 0 {
        f64::NAN
    } else {
        total / count as f64
    }
}

/// Gauss–Jordan inverse with partial pivoting; `None` when singular.
fn invert(mut m: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let scale = m
        .iter()
        .flatten()
        .fold(0.0f64, |acc, v| acc.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() <= 1e-14 * scale {
            return None;
        }
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let d = m[col][col];
        for j in 0..n {
            m[col][j] /= d;
            inv[col][j] /= d;
        }
        for row in 0..n {
            if row != col {
                let factor = m[row][col];
                for j in 0..n {
                    m[row][j] -= factor * m[col][j];
                    inv[row][j] -= factor * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}

/// The best curve of the family (or of all families by AICc) for one key.
fn fit_key(
    obs: &[Observation],
    weights: &[f64],
    family: FamilyChoice,
    warm: Option<Curve>,
) -> Option<(Curve, Option<String>)> {
    let data: Vec<(f64, f64, f64)> = obs
        .iter()
        .zip(weights)
        .filter(|(o, _)| valid(o))
        .map(|(o, w)| (o.spend, o.outcome, *w))
        .collect();
    let n = data.len() as f64;
    let mut best: Option<(f64, Curve, Option<String>)> = None;
    for &f in family.families() {
        let Some((curve, rss, limit)) = (match f {
            FamilyChoice::Hill => fit_hill(&data, warm),
            FamilyChoice::Log => fit_log(&data),
            FamilyChoice::Power => fit_power(&data),
            _ => fit_linear(&data),
        }) else {
            continue;
        };
        let p = f.parameter_count() as f64;
        let criterion = if family == FamilyChoice::Best {
            // AICc; a perfect fit gets the lowest score.
            let term = (rss / n).max(f64::MIN_POSITIVE).ln();
            n * term + 2.0 * p + 2.0 * p * (p + 1.0) / (n - p - 1.0).max(1.0)
        } else {
            rss
        };
        if best.as_ref().is_none_or(|(c, _, _)| criterion < *c) {
            best = Some((criterion, curve, limit));
        }
    }
    best.map(|(_, c, l)| (c, l))
}

/// The least-squares level for fixed shape `g(x)` (the curve with `a = 1`) and its RSS.
fn level_for(data: &[(f64, f64, f64)], shape: impl Fn(f64) -> f64) -> (f64, f64) {
    let (mut num, mut den) = (0.0, 0.0);
    for &(x, y, w) in data {
        let g = w * shape(x);
        num += y * g;
        den += g * g;
    }
    let a = if den > 0.0 { (num / den).max(0.0) } else { 0.0 };
    let rss = data
        .iter()
        .map(|&(x, y, w)| (y - a * w * shape(x)).powi(2))
        .sum();
    (a, rss)
}

fn spend_range(data: &[(f64, f64, f64)]) -> (f64, f64) {
    data.iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &(x, _, _)| {
            (lo.min(x), hi.max(x))
        })
}

/// Search limits of the Hill shape: k within 1/100 of the smallest and 100× the largest
/// spend, s between 0.25 and 6.
const HILL_S: (f64, f64) = (0.25, 6.0);

fn fit_hill(data: &[(f64, f64, f64)], warm: Option<Curve>) -> Option<(Curve, f64, Option<String>)> {
    let (lo, hi) = spend_range(data);
    let (ln_k_min, ln_k_max) = ((lo / 100.0).ln(), (hi * 100.0).ln());
    let (ln_s_min, ln_s_max) = (HILL_S.0.ln(), HILL_S.1.ln());
    let profile = |p: &[f64; 2]| -> f64 {
        let k = p[0].clamp(ln_k_min, ln_k_max).exp();
        let s = p[1].clamp(ln_s_min, ln_s_max).exp();
        level_for(data, |x| 1.0 / (1.0 + (k / x).powf(s))).1
    };
    let mut start = [0.0, 0.0];
    let mut best = f64::INFINITY;
    let mut step = [0.3, 0.2];
    if let Some(Curve::Hill { k, s, .. }) = warm {
        start = [k.ln(), s.ln()];
        step = [0.02, 0.02];
    }
    let grid = if warm.is_some() { 0 } else { 25 };
    for i in 0..grid {
        let ln_k = (lo / 10.0).ln() + (i as f64 / 24.0) * ((hi * 10.0).ln() - (lo / 10.0).ln());
        for s in [0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0] {
            let p = [ln_k, f64::ln(s)];
            let v = profile(&p);
            if v < best {
                best = v;
                start = p;
            }
        }
    }
    let p = nelder_mead(profile, start, step, 600);
    let ln_k = p[0].clamp(ln_k_min, ln_k_max);
    let ln_s = p[1].clamp(ln_s_min, ln_s_max);
    let (k, s) = (ln_k.exp(), ln_s.exp());
    let (a, rss) = level_for(data, |x| 1.0 / (1.0 + (k / x).powf(s)));
    let limit = if (ln_k - ln_k_max).abs() < 1e-6 {
        Some(
            "k reached its search limit (100× the largest spend): the history shows no saturation, so the level `a` is an extrapolation; family \"log\" or \"power\" may describe it better"
                .to_string(),
        )
    } else if (ln_k - ln_k_min).abs() < 1e-6 {
        Some("k reached its search limit (1/100 of the smallest spend): the outcome does not rise with spend in this history".to_string())
    } else if (ln_s - ln_s_max).abs() < 1e-6 || (ln_s - ln_s_min).abs() < 1e-6 {
        Some(format!("s reached its search limit ({:.2})", s))
    } else {
        None
    };
    Some((Curve::Hill { a, k, s }, rss, limit))
}

fn fit_log(data: &[(f64, f64, f64)]) -> Option<(Curve, f64, Option<String>)> {
    let (lo, hi) = spend_range(data);
    let (a_min, a_max) = ((lo / 1000.0).ln(), (hi * 1000.0).ln());
    let profile = |ln_k: f64| level_for(data, |x| (x / ln_k.exp()).ln_1p()).1;
    let ln_k = golden_on_grid(profile, a_min, a_max);
    let k = ln_k.exp();
    let (a, rss) = level_for(data, |x| (x / k).ln_1p());
    let limit = ((ln_k - a_max).abs() < 1e-6)
        .then(|| "k reached its search limit: the history is nearly a straight line".to_string());
    Some((Curve::Log { a, k }, rss, limit))
}

fn fit_power(data: &[(f64, f64, f64)]) -> Option<(Curve, f64, Option<String>)> {
    let profile = |b: f64| level_for(data, |x| x.powf(b)).1;
    let b = golden_on_grid(profile, 0.01, 1.0);
    let (a, rss) = level_for(data, |x| x.powf(b));
    let limit = ((b - 1.0).abs() < 1e-6)
        .then(|| "b reached 1: the history shows no diminishing returns".to_string());
    Some((Curve::Power { a, b }, rss, limit))
}

/// `min(a·x, cap)`: every split of the sorted spend into "below the cap" and "at the
/// cap" solved in closed form; the best consistent split (or no cap).
fn fit_linear(data: &[(f64, f64, f64)]) -> Option<(Curve, f64, Option<String>)> {
    let mut sorted = data.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, Curve)> = None;
    for split in (1..=sorted.len()).rev() {
        let (below, above) = sorted.split_at(split);
        let (mut num, mut den) = (0.0, 0.0);
        for &(x, y, w) in below {
            num += y * w * x;
            den += (w * x) * (w * x);
        }
        let a = if den > 0.0 { (num / den).max(0.0) } else { 0.0 };
        let cap = if above.is_empty() {
            None
        } else {
            let (mut n2, mut d2) = (0.0, 0.0);
            for &(_, y, w) in above {
                n2 += y * w;
                d2 += w * w;
            }
            let cap = if d2 > 0.0 { n2 / d2 } else { 0.0 };
            // Consistent only if the kink falls between the two groups.
            let last_below = below.last().map_or(0.0, |r| r.0);
            let first_above = above.first().map_or(0.0, |r| r.0);
            if !(a * last_below <= cap * (1.0 + 1e-12) && a * first_above >= cap * (1.0 - 1e-12)) {
                continue;
            }
            Some(cap)
        };
        let curve = Curve::Linear { a, cap };
        let rss = data
            .iter()
            .map(|&(x, y, w)| (y - w * curve.value(x)).powi(2))
            .sum::<f64>();
        if best.as_ref().is_none_or(|(r, _)| rss < *r) {
            best = Some((rss, curve));
        }
    }
    best.map(|(rss, c)| (c, rss, None))
}

/// Minimizes `f` on `[lo, hi]`: the best of 40 grid points, then golden section around it.
fn golden_on_grid(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let steps = 40;
    let point = |i: usize| lo + (hi - lo) * i as f64 / steps as f64;
    let best = (0..=steps)
        .min_by(|&a, &b| f(point(a)).total_cmp(&f(point(b))))
        .unwrap_or(0);
    let (mut a, mut b) = (point(best.saturating_sub(1)), point((best + 1).min(steps)));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..200 {
        if (b - a).abs() <= 1e-12 * (a.abs() + b.abs()).max(1e-12) {
            break;
        }
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = f(d);
        }
    }
    let x = 0.5 * (a + b);
    let candidates = [x, point(best)];
    candidates
        .into_iter()
        .min_by(|p, q| f(*p).total_cmp(&f(*q)))
        .unwrap_or(x)
}

/// Nelder–Mead in two dimensions from `start` with initial steps `step`.
fn nelder_mead(
    f: impl Fn(&[f64; 2]) -> f64,
    start: [f64; 2],
    step: [f64; 2],
    iterations: usize,
) -> [f64; 2] {
    let mut simplex = [
        start,
        [start[0] + step[0], start[1]],
        [start[0], start[1] + step[1]],
    ];
    let mut values = simplex.map(|p| f(&p));
    for _ in 0..iterations {
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let (best, mid, worst) = (order[0], order[1], order[2]);
        let spread = (values[worst] - values[best]).abs();
        let size = (0..2)
            .map(|d| {
                (simplex[worst][d] - simplex[best][d]).abs()
                    + (simplex[mid][d] - simplex[best][d]).abs()
            })
            .fold(0.0, f64::max);
        if spread <= 1e-15 * values[best].abs().max(f64::MIN_POSITIVE) && size < 1e-10 {
            break;
        }
        if size < 1e-12 {
            break;
        }
        let centroid = [
            0.5 * (simplex[best][0] + simplex[mid][0]),
            0.5 * (simplex[best][1] + simplex[mid][1]),
        ];
        let along = |t: f64| {
            [
                centroid[0] + t * (simplex[worst][0] - centroid[0]),
                centroid[1] + t * (simplex[worst][1] - centroid[1]),
            ]
        };
        let reflected = along(-1.0);
        let fr = f(&reflected);
        if fr < values[best] {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            if fe < fr {
                simplex[worst] = expanded;
                values[worst] = fe;
            } else {
                simplex[worst] = reflected;
                values[worst] = fr;
            }
        } else if fr < values[mid] {
            simplex[worst] = reflected;
            values[worst] = fr;
        } else {
            let contracted = if fr < values[worst] {
                along(-0.5)
            } else {
                along(0.5)
            };
            let fc = f(&contracted);
            if fc < values[worst].min(fr) {
                simplex[worst] = contracted;
                values[worst] = fc;
            } else {
                for i in [mid, worst] {
                    simplex[i] = [
                        simplex[best][0] + 0.5 * (simplex[i][0] - simplex[best][0]),
                        simplex[best][1] + 0.5 * (simplex[i][1] - simplex[best][1]),
                    ];
                    values[i] = f(&simplex[i]);
                }
            }
        }
    }
    let best = (0..3)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    simplex[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observations(curve: Curve, spends: &[f64], effects: &[f64]) -> Vec<Observation> {
        spends
            .iter()
            .enumerate()
            .map(|(i, &x)| Observation {
                spend: x,
                outcome: effects.get(i).copied().unwrap_or(1.0) * curve.value(x),
                period: Some(i),
            })
            .collect()
    }

    #[test]
    fn exact_data_gives_back_each_family() {
        let spends: Vec<f64> = (1..=24).map(|i| 10.0 * (1.0 + 0.13 * i as f64)).collect();
        for (choice, truth) in [
            (
                FamilyChoice::Hill,
                Curve::Hill {
                    a: 500.0,
                    k: 25.0,
                    s: 1.8,
                },
            ),
            (FamilyChoice::Log, Curve::Log { a: 80.0, k: 12.0 }),
            (FamilyChoice::Power, Curve::Power { a: 7.0, b: 0.6 }),
            (
                FamilyChoice::Linear,
                Curve::Linear {
                    a: 2.0,
                    cap: Some(50.0),
                },
            ),
        ] {
            let obs = observations(truth, &spends, &[]);
            let fit = fit_all(&[obs], &[], choice, 12, &[None]);
            let fitted = fit.keys[0].as_ref().unwrap();
            for (got, want) in fitted.curve.parameters().iter().zip(truth.parameters()) {
                if let (Some(g), Some(w)) = (got, want) {
                    assert!(
                        (g - w).abs() <= 1e-5 * w.abs(),
                        "{choice:?}: {} vs {truth}",
                        fitted.curve
                    );
                }
            }
            assert!(fitted.r2 > 0.999_999, "{choice:?} r2 {}", fitted.r2);
        }
    }

    #[test]
    fn shared_period_effects_are_separated_from_the_response() {
        // Two keys, 24 periods, a strong seasonal effect and a trend shared by both.
        let effects: Vec<f64> = (0..24)
            .map(|m| [1.0, 1.05, 1.35][m % 3] * 1.01f64.powi(m as i32))
            .collect();
        let a_spend: Vec<f64> = (0..24)
            .map(|m| 40.0 * (1.0 + 0.5 * ((m * 7 % 11) as f64 / 10.0 - 0.5)))
            .collect();
        let b_spend: Vec<f64> = (0..24)
            .map(|m| 90.0 * (1.0 + 0.6 * ((m * 5 % 13) as f64 / 12.0 - 0.5)))
            .collect();
        let ta = Curve::Hill {
            a: 300.0,
            k: 35.0,
            s: 1.4,
        };
        let tb = Curve::Hill {
            a: 900.0,
            k: 120.0,
            s: 1.1,
        };
        let keys = vec![
            observations(ta, &a_spend, &effects),
            observations(tb, &b_spend, &effects),
        ];
        let periods: Vec<Period> = (0..24)
            .map(|m| Period {
                t: m as f64,
                month: m % 12,
            })
            .collect();
        let fit = fit_all(&keys, &periods, FamilyChoice::Hill, 12, &[None, None]);
        let Curve::Hill { k, s, .. } = fit.keys[0].as_ref().unwrap().curve else {
            panic!()
        };
        assert!(
            (k - 35.0).abs() < 0.01 * 35.0 && (s - 1.4).abs() < 0.01,
            "{k} {s}"
        );
        let Curve::Hill { k, s, .. } = fit.keys[1].as_ref().unwrap().curve else {
            panic!()
        };
        assert!(
            (k - 120.0).abs() < 0.01 * 120.0 && (s - 1.1).abs() < 0.01,
            "{k} {s}"
        );
        // Effects are relative to the last 12 periods' average.
        let got = fit.period_effects.unwrap();
        let tail: f64 = effects[12..].iter().sum::<f64>() / 12.0;
        for (g, e) in got.iter().zip(&effects) {
            assert!((g - e / tail).abs() < 0.01, "{g} vs {}", e / tail);
        }
    }

    #[test]
    fn too_little_history_is_said() {
        let one = vec![Observation {
            spend: 5.0,
            outcome: 3.0,
            period: None,
        }];
        let fit = fit_all(&[one], &[], FamilyChoice::Hill, 12, &[None]);
        assert_eq!(
            fit.keys[0].as_ref().unwrap_err(),
            "1 period with spend in the history; fitting needs at least 4"
        );
        let same: Vec<Observation> = (0..6)
            .map(|_| Observation {
                spend: 5.0,
                outcome: 3.0,
                period: None,
            })
            .collect();
        let fit = fit_all(&[same], &[], FamilyChoice::Log, 12, &[None]);
        assert!(
            fit.keys[0]
                .as_ref()
                .unwrap_err()
                .contains("same in every period (5)")
        );
    }

    #[test]
    fn numbers_in_messages_are_grouped() {
        assert_eq!(format_number(14_200_000.0), "14,200,000");
        assert_eq!(format_number(-1234.5), "-1,234.50");
        assert_eq!(format_number(0.004), "0");
    }
}
