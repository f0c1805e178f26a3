//! Fitting ETS models: the smoothing parameters by Nelder–Mead from a coarse grid (or
//! from the previous fit of the same series), the initial states by least squares, and
//! the automatic choice of components by AICc.

use super::kernel::{Accumulation, LANES, Scratch, sse_batch};
use super::{Form, Model, Smoothing, States, initial_states, smooth};

/// Which smoothing parameters a form estimates, as positions in (α, β, γ).
fn free_parameters(form: Form) -> ([usize; 3], usize) {
    let mut positions = [0usize; 3];
    let mut count = 1;
    if form.trend {
        positions[count] = 1;
        count += 1;
    }
    if form.season() > 0 {
        positions[count] = 2;
        count += 1;
    }
    (positions, count)
}

fn smoothing_of(point: &[f64; 3], positions: &[usize; 3], count: usize) -> Smoothing {
    let mut values = [0.0; 3];
    for (k, &position) in positions.iter().take(count).enumerate() {
        values[position] = point[k].clamp(0.0, 1.0);
    }
    Smoothing {
        alpha: values[0],
        beta: values[1],
        gamma: values[2],
    }
}

/// Fits a model of the given form to `y`: `None` when the series is too short (a
/// season needs two complete seasons; anything needs two points).
pub fn fit(y: &[f64], form: Form) -> Option<Model> {
    fit_from(y, form, None)
}

/// [`fit`], starting the search at `start` (the parameters a similar series found, e.g.
/// the same series one month shorter) instead of a coarse grid.
pub fn fit_from(y: &[f64], form: Form, start: Option<Smoothing>) -> Option<Model> {
    fit_carried(y, form, start, None).map(|(model, _)| model)
}

/// The sums of squared errors of `y` from each of `initial` (one or two) at `smoothing`.
fn sse_from(
    y: &[f64],
    form: Form,
    smoothing: Smoothing,
    initial: [&States; 2],
    scratch: &mut Scratch,
) -> [f64; 2] {
    let mut out = [0.0; 2];
    sse_batch(y, form, &[smoothing; 2], &initial, scratch, &mut out);
    out
}

/// [`fit_from`], continuing `carried` (the least-squares accumulation of the previous,
/// shorter fit at its final parameters) when it is the start of this one; also returns
/// the accumulation at this fit's final parameters.
fn fit_carried(
    y: &[f64],
    form: Form,
    start: Option<Smoothing>,
    carried: Option<Accumulation>,
) -> Option<(Model, Accumulation)> {
    let m = form.season();
    if y.len() < 2 || (m > 0 && y.len() < 2 * m) || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let form = Form { period: m, ..form };
    let heuristic = initial_states(y, form)?;
    let (positions, count) = free_parameters(form);
    let mut scratch = Scratch::default();
    let to_point = |smoothing: Smoothing| {
        let values = [smoothing.alpha, smoothing.beta, smoothing.gamma];
        let mut point = [0.0; 3];
        for (k, &position) in positions.iter().take(count).enumerate() {
            point[k] = values[position];
        }
        point
    };
    let (start, step) = match start {
        Some(smoothing) => (to_point(smoothing), 0.05),
        None => {
            // The best point of a coarse grid (the first of equals, in this order).
            let mut grid = Vec::with_capacity(16);
            for alpha in [0.1, 0.3, 0.6, 0.9] {
                for beta in if form.trend {
                    &[0.05, 0.3][..]
                } else {
                    &[0.0][..]
                } {
                    for gamma in if m > 0 { &[0.05, 0.3][..] } else { &[0.0][..] } {
                        grid.push(Smoothing {
                            alpha,
                            beta: *beta,
                            gamma: *gamma,
                        });
                    }
                }
            }
            let mut best = (f64::INFINITY, [0.0; 3]);
            let from = [&heuristic; LANES];
            for chunk in grid.chunks(LANES) {
                let mut values = [0.0; LANES];
                sse_batch(y, form, chunk, &from, &mut scratch, &mut values);
                for (smoothing, &value) in chunk.iter().zip(&values) {
                    if value < best.0 {
                        best = (value, to_point(*smoothing));
                    }
                }
            }
            (best.1, 0.15)
        }
    };
    let at_start = smoothing_of(&start, &positions, count);
    let mut accumulation = match carried {
        Some(carried) if carried.continues(y, form, at_start) => carried,
        _ => Accumulation::new(form, at_start),
    };
    accumulation.extend_to(y);
    let mut initial = match accumulation.solve() {
        Some(least) => {
            let [heuristic_sse, least_sse] =
                sse_from(y, form, at_start, [&heuristic, &least], &mut scratch);
            if least_sse <= heuristic_sse {
                least
            } else {
                heuristic
            }
        }
        None => heuristic,
    };
    let (point, _) = nelder_mead(
        |points, values| {
            let smoothing: [Smoothing; LANES] = std::array::from_fn(|i| {
                let point = points.get(i).or(points.last()).unwrap_or(&start);
                smoothing_of(point, &positions, count)
            });
            let lanes = points.len().min(LANES);
            sse_batch(
                y,
                form,
                &smoothing[..lanes],
                &[&initial; LANES][..lanes],
                &mut scratch,
                values,
            );
        },
        start,
        count,
        step,
    );
    let smoothing = smoothing_of(&point, &positions, count);
    let mut last = if accumulation.continues(y, form, smoothing) {
        accumulation
    } else {
        Accumulation::new(form, smoothing)
    };
    last.extend_to(y);
    if let Some(refined) = last.solve() {
        let [refined_sse, initial_sse] =
            sse_from(y, form, smoothing, [&refined, &initial], &mut scratch);
        if refined_sse <= initial_sse {
            initial = refined;
        }
    }
    Some((smooth(y, form, smoothing, &initial), last))
}

/// The forms [`fit_auto`] compares for a season of `period`, simplest first.
fn candidate_forms(y: &[f64], period: usize) -> Vec<Form> {
    let mut forms = vec![
        Form {
            trend: false,
            period: 0,
        },
        Form {
            trend: true,
            period: 0,
        },
    ];
    if period >= 2 && y.len() >= 2 * period {
        forms.push(Form {
            trend: false,
            period,
        });
        forms.push(Form {
            trend: true,
            period,
        });
    }
    forms
}

/// Fits the additive models with and without trend, and with and without the season of
/// length `period` (when the series holds two of them), and keeps the one with the
/// lowest AICc; `None` when the series is too short for any.
pub fn fit_auto(y: &[f64], period: usize) -> Option<Model> {
    fit_auto_from(y, period, &mut Warm::default())
}

/// What the fits of one series leave for its next, one month longer: each form's
/// parameters (the next search starts there) and the least-squares accumulation at
/// them (the next fit only adds the new month to it).
#[derive(Debug, Clone, Default)]
pub struct Warm {
    forms: Vec<WarmForm>,
}

#[derive(Debug, Clone)]
struct WarmForm {
    form: Form,
    smoothing: Smoothing,
    accumulation: Option<Accumulation>,
}

/// [`fit_auto`] for a series that grows one month at a time: `warm` keeps what each
/// form's previous fit found and starts the next search there.
pub fn fit_auto_from(y: &[f64], period: usize, warm: &mut Warm) -> Option<Model> {
    let mut best: Option<(f64, Model)> = None;
    for form in candidate_forms(y, period) {
        let slot = warm.forms.iter().position(|w| w.form == form);
        let (start, carried) = match slot.and_then(|i| warm.forms.get_mut(i)) {
            Some(entry) => (Some(entry.smoothing), entry.accumulation.take()),
            None => (None, None),
        };
        let Some((model, accumulation)) = fit_carried(y, form, start, carried) else {
            continue;
        };
        let entry = WarmForm {
            form,
            smoothing: model.smoothing,
            accumulation: Some(accumulation),
        };
        match slot.and_then(|i| warm.forms.get_mut(i)) {
            Some(slot) => *slot = entry,
            None => warm.forms.push(entry),
        }
        let Some(score) = model.aicc() else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| score < *b) {
            best = Some((score, model));
        }
    }
    match best {
        Some((_, model)) => Some(model),
        // Too short for the criterion: the simplest model that fits.
        None => fit(
            y,
            Form {
                trend: false,
                period: 0,
            },
        ),
    }
}

/// Minimises `f` over the first `dims` coordinates of `start` (the rest stay as they
/// are) with the Nelder–Mead simplex from a simplex of size `step`; returns the best
/// point and its value. `f` evaluates up to four points at once (into the values it is
/// given): each step evaluates every point it may need (reflection, expansion and both
/// contractions) in one call, and the points' count towards the limit only when used.
fn nelder_mead(
    mut f: impl FnMut(&[[f64; 3]], &mut [f64]),
    start: [f64; 3],
    dims: usize,
    step: f64,
) -> ([f64; 3], f64) {
    let dims = dims.clamp(1, 3);
    let mut points = [start; 4];
    for (i, point) in points.iter_mut().enumerate().skip(1).take(dims) {
        let step = if start[i - 1] + step <= 1.0 {
            step
        } else {
            -step
        };
        point[i - 1] += step;
    }
    let mut values = [0.0; 4];
    f(&points[..=dims], &mut values[..=dims]);
    let max_evaluations = 60 + 60 * dims;
    let mut evaluations = dims + 1;
    let mut order = [0usize, 1, 2, 3];
    while evaluations < max_evaluations {
        let order = &mut order[..=dims];
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let (best, worst, second) = (order[0], order[dims], order[dims - 1]);
        let spread = (0..dims)
            .map(|k| {
                order
                    .iter()
                    .map(|&i| (points[i][k] - points[best][k]).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        if spread < 1e-3 || values[worst] - values[best] <= 1e-12 * values[best].abs() {
            break;
        }
        let mut centroid = [0.0; 3];
        for &i in &order[..dims] {
            for k in 0..dims {
                centroid[k] += points[i][k] / dims as f64;
            }
        }
        let along = |t: f64| {
            let mut p = points[worst];
            for k in 0..dims {
                p[k] = centroid[k] + t * (points[worst][k] - centroid[k]);
            }
            p
        };
        // Reflected, expanded, contracted outside, contracted inside.
        let tried = [along(-1.0), along(-2.0), along(-0.5), along(0.5)];
        let mut tried_values = [0.0; 4];
        f(&tried, &mut tried_values);
        let (reflected, reflected_value) = (tried[0], tried_values[0]);
        evaluations += 1;
        if reflected_value < values[best] {
            let (expanded, expanded_value) = (tried[1], tried_values[1]);
            evaluations += 1;
            if expanded_value < reflected_value {
                points[worst] = expanded;
                values[worst] = expanded_value;
            } else {
                points[worst] = reflected;
                values[worst] = reflected_value;
            }
        } else if reflected_value < values[second] {
            points[worst] = reflected;
            values[worst] = reflected_value;
        } else {
            let outside = reflected_value < values[worst];
            let which = if outside { 2 } else { 3 };
            let (contracted, contracted_value) = (tried[which], tried_values[which]);
            evaluations += 1;
            if contracted_value < reflected_value.min(values[worst]) {
                points[worst] = contracted;
                values[worst] = contracted_value;
            } else {
                // Shrink every point but the best halfway towards it.
                let anchor = points[best];
                let mut shrunk = [anchor; 3];
                for (slot, &i) in shrunk.iter_mut().zip(&order[1..]) {
                    for ((s, p), a) in slot.iter_mut().zip(&points[i]).zip(&anchor) {
                        *s = a + 0.5 * (p - a);
                    }
                }
                let mut shrunk_values = [0.0; 3];
                f(&shrunk[..dims], &mut shrunk_values[..dims]);
                for (k, &i) in order[1..].iter().enumerate() {
                    points[i] = shrunk[k];
                    values[i] = shrunk_values[k];
                }
                evaluations += dims;
            }
        }
    }
    let best = (0..=dims)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    let mut point = points[best];
    for value in point.iter_mut().take(dims) {
        *value = value.clamp(0.0, 1.0);
    }
    (point, values[best])
}
