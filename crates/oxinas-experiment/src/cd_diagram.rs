//! The critical-difference diagram (Demšar, JMLR 2006, Fig. 1): optimizers
//! on an axis of average rank (1 = best), the Nemenyi critical difference as
//! a bar above it, and thick bars joining optimizers that lie within less
//! than the critical difference of each other.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ExperimentError;
use crate::critical_difference::CriticalDifference;
use crate::figures::{draw_both, register_bundled_font};

const WIDTH: u32 = 900;
/// Room for labels on either side of the axis.
const SIDE: i32 = 230;
const AXIS_Y: i32 = 95;
const ROW: i32 = 28;

/// Draws `diagram` as `dir/stem.svg` and `dir/stem.png`.
pub(crate) fn draw_cd_diagram(
    dir: &Path,
    stem: &str,
    title: &str,
    diagram: &CriticalDifference,
) -> Result<(), ExperimentError> {
    register_bundled_font();
    std::fs::create_dir_all(dir).map_err(|e| ExperimentError::Plot {
        path: dir.to_owned(),
        message: e.to_string(),
    })?;
    let (groups, rows) = (
        diagram.groups().len() as i32,
        diagram.labels.len().div_ceil(2) as i32,
    );
    let height = (AXIS_Y + 40 + 10 * groups + ROW * rows + 10) as u32;
    draw_both(dir, stem, (WIDTH, height), |root| {
        root.draw_critical_difference(title, diagram)
    })
}

/// Draws the diagram on any backend.
pub(crate) fn draw_on<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    diagram: &CriticalDifference,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    let k = diagram.labels.len();
    let ranks = &diagram.friedman.average_ranks;
    let (left, right) = (SIDE, WIDTH as i32 - SIDE);
    let x = |rank: f64| {
        left + ((rank - 1.0) / (k as f64 - 1.0) * f64::from(right - left)).round() as i32
    };
    let font = |size: u32, h: HPos, v: VPos| {
        TextStyle::from(("sans-serif", size).into_font())
            .color(&BLACK)
            .pos(Pos::new(h, v))
    };
    let line =
        |points: Vec<(i32, i32)>, width: u32| PathElement::new(points, BLACK.stroke_width(width));

    area.draw(&Text::new(
        title.to_owned(),
        (WIDTH as i32 / 2, 6),
        font(18, HPos::Center, VPos::Top),
    ))?;
    // The axis, rank 1 (best) on the left, with integer ticks above.
    area.draw(&line(vec![(left, AXIS_Y), (right, AXIS_Y)], 2))?;
    for r in 1..=k {
        let xr = x(r as f64);
        area.draw(&line(vec![(xr, AXIS_Y - 6), (xr, AXIS_Y)], 2))?;
        area.draw(&Text::new(
            r.to_string(),
            (xr, AXIS_Y - 9),
            font(14, HPos::Center, VPos::Bottom),
        ))?;
    }
    // The critical difference as a bar from rank 1.
    let (cd_start, cd_end) = (x(1.0), x(1.0 + diagram.critical_difference));
    let cd_y = AXIS_Y - 45;
    area.draw(&line(vec![(cd_start, cd_y), (cd_end, cd_y)], 2))?;
    for end in [cd_start, cd_end] {
        area.draw(&line(vec![(end, cd_y - 5), (end, cd_y + 5)], 2))?;
    }
    area.draw(&Text::new(
        format!("CD = {:.2}", diagram.critical_difference),
        ((cd_start + cd_end) / 2, cd_y - 7),
        font(14, HPos::Center, VPos::Bottom),
    ))?;
    // Groups within less than the CD, as thick bars under the axis.
    let order = diagram.by_rank();
    let groups = diagram.groups();
    for (g, &(start, end)) in groups.iter().enumerate() {
        let y = AXIS_Y + 14 + 10 * g as i32;
        let (a, b) = (x(ranks[order[start]]) - 4, x(ranks[order[end]]) + 4);
        area.draw(&line(vec![(a, y), (b, y)], 5))?;
    }
    // Each optimizer: a line from its rank down to its label; the better
    // half labelled on the left (best on top), the rest on the right (worst
    // on top), so that no lines cross.
    let first_row = AXIS_Y + 30 + 10 * groups.len() as i32;
    let half = k.div_ceil(2);
    for (position, &i) in order.iter().enumerate() {
        let xr = x(ranks[i]);
        let label = format!("{} ({:.2})", diagram.labels[i], ranks[i]);
        let (row, end, text_x, anchor) = if position < half {
            (position, left - 20, left - 25, HPos::Right)
        } else {
            (k - 1 - position, right + 20, right + 25, HPos::Left)
        };
        let y = first_row + ROW * row as i32;
        area.draw(&line(vec![(xr, AXIS_Y), (xr, y), (end, y)], 1))?;
        area.draw(&Text::new(
            label,
            (text_x, y),
            font(15, anchor, VPos::Center),
        ))?;
    }
    Ok(())
}
