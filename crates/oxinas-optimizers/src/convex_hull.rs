//! The lower convex hull of (cost, error) points and its ε-relaxation.
//!
//! Petridish keeps the models whose validation error is (nearly) the best
//! achievable for their cost. The lower convex hull runs from the cheapest
//! model to the most accurate one; between hull points the best error for a
//! cost is the straight line joining them, and beyond the most accurate model
//! it stays flat. A model is on the ε-hull when its error is at most
//! `(1 + ε)` times the hull's error at its cost. Both coordinates are
//! minimised.

/// A model's cost (parameters, multiply-accumulates, latency) and error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostError {
    /// The cost, minimised.
    pub cost: f64,
    /// The error, minimised.
    pub error: f64,
}

/// Indices of the points on the lower convex hull, by increasing cost (and
/// so strictly decreasing error). The hull starts at the cheapest point (the
/// lowest error among equally cheap ones) and ends at the most accurate one
/// (the cheapest among equally accurate ones); points on a straight segment
/// between two hull points are not hull points. Points with a non-finite
/// coordinate are ignored. Equal points keep the lowest index.
pub fn lower_convex_hull(points: &[CostError]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].cost.is_finite() && points[i].error.is_finite())
        .collect();
    order.sort_by(|&i, &j| {
        points[i]
            .cost
            .total_cmp(&points[j].cost)
            .then(points[i].error.total_cmp(&points[j].error))
            .then(i.cmp(&j))
    });
    // Of several equally cheap points only the most accurate can be on the hull.
    order.dedup_by(|later, earlier| points[*later].cost == points[*earlier].cost);
    // The hull ends at the first (cheapest) point of minimal error.
    let mut best: Option<usize> = None;
    for (position, &i) in order.iter().enumerate() {
        if best.is_none_or(|b| points[i].error < points[order[b]].error) {
            best = Some(position);
        }
    }
    let Some(best) = best else {
        return Vec::new();
    };
    order.truncate(best + 1);
    // Andrew's monotone chain, lower part: keep only left turns.
    let mut hull: Vec<usize> = Vec::with_capacity(order.len());
    for i in order {
        while hull.len() >= 2 {
            let o = points[hull[hull.len() - 2]];
            let a = points[hull[hull.len() - 1]];
            let b = points[i];
            let cross =
                (a.cost - o.cost) * (b.error - o.error) - (a.error - o.error) * (b.cost - o.cost);
            if cross > 0.0 {
                break;
            }
            hull.pop();
        }
        hull.push(i);
    }
    hull
}

/// The hull's error at `cost`: linear between hull points, the most accurate
/// point's error beyond it, and the cheapest point's error below it.
/// `hull` holds indices into `points` as returned by [`lower_convex_hull`];
/// `None` when it is empty.
pub fn hull_error_at(points: &[CostError], hull: &[usize], cost: f64) -> Option<f64> {
    let first = points[*hull.first()?];
    let last = points[*hull.last()?];
    if cost <= first.cost {
        return Some(first.error);
    }
    if cost >= last.cost {
        return Some(last.error);
    }
    hull.windows(2).find_map(|pair| {
        let (a, b) = (points[pair[0]], points[pair[1]]);
        (cost <= b.cost)
            .then(|| a.error + (b.error - a.error) * (cost - a.cost) / (b.cost - a.cost))
    })
}

/// A point on the ε-hull and how far above the hull it lies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HullMember {
    /// Index into the points.
    pub index: usize,
    /// Relative excess over the hull: `error / hull_error(cost) - 1`
    /// (0 on the hull; 0 when the hull's error there is 0 and so is the point's).
    pub gap: f64,
}

/// The points within `(1 + epsilon)` of the lower convex hull, most
/// cost-efficient first: by increasing gap, then increasing cost, then index.
/// With `epsilon = 0` these are the hull points (and any point lying on a
/// hull segment), cheapest first.
pub fn epsilon_hull(points: &[CostError], epsilon: f64) -> Vec<HullMember> {
    let hull = lower_convex_hull(points);
    let mut members: Vec<HullMember> = (0..points.len())
        .filter_map(|index| {
            let p = points[index];
            if !(p.cost.is_finite() && p.error.is_finite()) {
                return None;
            }
            let reference = hull_error_at(points, &hull, p.cost)?;
            let gap = if reference > 0.0 {
                p.error / reference - 1.0
            } else if p.error <= 0.0 {
                0.0
            } else {
                f64::INFINITY
            };
            // A tolerance absorbs rounding for points exactly on a segment.
            (gap <= epsilon + 1e-12).then_some(HullMember {
                index,
                gap: gap.max(0.0),
            })
        })
        .collect();
    members.sort_by(|a, b| {
        a.gap
            .total_cmp(&b.gap)
            .then(points[a.index].cost.total_cmp(&points[b.index].cost))
            .then(a.index.cmp(&b.index))
    });
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(cost: f64, error: f64) -> CostError {
        CostError { cost, error }
    }

    /// A(1, .5), B(2, .3), C(3, .25), D(4, .1), E(5, .2), F(2.5, .45).
    /// Hull A-B-D: C lies above the segment B-D (0.2 at cost 3), E is
    /// costlier and worse than D, F lies above B-D (0.25 at cost 2.5).
    fn six() -> Vec<CostError> {
        vec![
            p(1.0, 0.5),
            p(2.0, 0.3),
            p(3.0, 0.25),
            p(4.0, 0.1),
            p(5.0, 0.2),
            p(2.5, 0.45),
        ]
    }

    #[test]
    fn hull_of_six_points_by_hand() {
        assert_eq!(lower_convex_hull(&six()), vec![0, 1, 3]);
    }

    #[test]
    fn hull_error_interpolates_and_is_flat_outside() {
        let points = six();
        let hull = lower_convex_hull(&points);
        let at = |c| hull_error_at(&points, &hull, c).unwrap();
        assert!((at(3.0) - 0.2).abs() < 1e-12);
        assert!((at(1.5) - 0.4).abs() < 1e-12);
        assert!((at(2.5) - 0.25).abs() < 1e-12);
        assert_eq!(at(9.0), 0.1);
        assert_eq!(at(0.5), 0.5);
        assert_eq!(hull_error_at(&points, &[], 1.0), None);
    }

    #[test]
    fn epsilon_hull_adds_near_points_in_order_of_gap() {
        let points = six();
        let exact: Vec<usize> = epsilon_hull(&points, 0.0).iter().map(|m| m.index).collect();
        assert_eq!(exact, vec![0, 1, 3]);
        // C: 0.25 / 0.2 - 1 = 0.25; F: 0.45 / 0.25 - 1 = 0.8; E: 0.2 / 0.1 - 1 = 1.
        let relaxed = epsilon_hull(&points, 0.3);
        let indices: Vec<usize> = relaxed.iter().map(|m| m.index).collect();
        assert_eq!(indices, vec![0, 1, 3, 2]);
        assert!((relaxed[3].gap - 0.25).abs() < 1e-12);
        let wide: Vec<usize> = epsilon_hull(&points, 1.0).iter().map(|m| m.index).collect();
        assert_eq!(wide, vec![0, 1, 3, 2, 5, 4]);
    }

    #[test]
    fn collinear_and_duplicate_points_are_not_hull_points() {
        // (2, .5) lies on the segment (1, .6)-(3, .4); (1, .7) is as cheap as (1, .6) but worse;
        // the second (3, .4) repeats the third point.
        let points = vec![
            p(1.0, 0.6),
            p(2.0, 0.5),
            p(3.0, 0.4),
            p(1.0, 0.7),
            p(3.0, 0.4),
        ];
        assert_eq!(lower_convex_hull(&points), vec![0, 2]);
        let exact: Vec<usize> = epsilon_hull(&points, 0.0).iter().map(|m| m.index).collect();
        // On the segment (gap 0): 1 and the repeat 4 join, ordered by cost then index.
        assert_eq!(exact, vec![0, 1, 2, 4]);
    }

    #[test]
    fn single_and_empty_and_non_finite() {
        assert!(lower_convex_hull(&[]).is_empty());
        assert!(epsilon_hull(&[], 0.1).is_empty());
        let points = vec![p(f64::NAN, 0.1), p(2.0, 0.3)];
        assert_eq!(lower_convex_hull(&points), vec![1]);
        // The cheapest point is the most accurate: the hull is that point alone.
        let points = vec![p(1.0, 0.1), p(2.0, 0.3), p(0.5, 0.2)];
        assert_eq!(lower_convex_hull(&points), vec![2, 0]);
    }
}
