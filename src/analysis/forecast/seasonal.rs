//! The classical de-trended seasonal index (ratio to moving average): each month's
//! revenue over the centred 12-month moving average around it, averaged per calendar
//! month and scaled so the months average 1.00.

/// Index and number of ratios averaged for each calendar month (January first), from
/// monthly revenue starting in calendar month `first_month_of_year` (0 = January).
/// A month with no ratio (under two years of history) has no index.
pub fn classical_index(revenue: &[f64], first_month_of_year: usize) -> [(Option<f64>, usize); 12] {
    let mut sums = [0.0f64; 12];
    let mut counts = [0usize; 12];
    if revenue.len() >= 13 {
        for t in 6..revenue.len() - 6 {
            let window = &revenue[t - 6..=t + 6];
            let average =
                (0.5 * window[0] + window[1..12].iter().sum::<f64>() + 0.5 * window[12]) / 12.0;
            if average > 0.0 {
                let month = (first_month_of_year + t) % 12;
                sums[month] += revenue[t] / average;
                counts[month] += 1;
            }
        }
    }
    let means: Vec<Option<f64>> = (0..12)
        .map(|m| (counts[m] > 0).then(|| sums[m] / counts[m] as f64))
        .collect();
    let present: Vec<f64> = means.iter().flatten().copied().collect();
    let scale = if present.is_empty() {
        1.0
    } else {
        present.len() as f64 / present.iter().sum::<f64>()
    };
    std::array::from_fn(|m| (means[m].map(|v| v * scale), counts[m]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_pattern_on_a_trend_gives_its_ratios() {
        // Revenue 100 a month with December doubled (and a flat trend): the moving
        // average around any month holds one December at weight 1 (or two at ½), so it
        // is 1300/12 everywhere; December's ratio 200/(1300/12), others 100/(1300/12).
        let revenue: Vec<f64> = (0..36)
            .map(|t| if t % 12 == 11 { 200.0 } else { 100.0 })
            .collect();
        let index = classical_index(&revenue, 0);
        let average = 1300.0 / 12.0;
        let (dec, other) = (200.0 / average, 100.0 / average);
        let scale = 12.0 / (dec + 11.0 * other);
        assert!((index[11].0.unwrap() - dec * scale).abs() < 1e-12);
        assert!((index[0].0.unwrap() - other * scale).abs() < 1e-12);
        assert_eq!(index[0].1, 2);
        let short = classical_index(&revenue[..12], 0);
        assert!(short.iter().all(|(i, n)| i.is_none() && *n == 0));
    }
}
