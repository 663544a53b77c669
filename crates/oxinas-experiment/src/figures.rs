//! The run's figures, as SVG and PNG under `plots/`: anytime regret curves
//! against queries and simulated time, and Pareto fronts. Text is drawn with
//! a bundled font (DejaVu Sans, `fonts/`), so the PNGs render the same on
//! any machine, with no system fonts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;

use oxinas_core::Goal;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::register_font;

use crate::anytime::{Curve, anytime_curves, pareto_fronts};
use crate::critical_difference::CriticalDifference;
use crate::trial_record::TrialRecord;
use crate::{ExperimentConfig, ExperimentError};

static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Registers the bundled font as `sans-serif`, once per process.
pub(crate) fn register_bundled_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is compiled in; a parse failure would show in every test.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Series colours, distinguishable in print.
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

/// The figures drawn for a run: (title, file stem) pairs under `plots/`.
pub(crate) struct Figures {
    files: Vec<(String, String)>,
}

impl Figures {
    /// Links to the figures for `summary.md`.
    pub fn markdown(&self) -> String {
        let mut out = String::from("\n## Figures\n\n");
        for (title, stem) in &self.files {
            let _ = writeln!(
                out,
                "- {title}: [PNG](plots/{stem}.png), [SVG](plots/{stem}.svg)\n\n  ![{title}](plots/{stem}.png)\n"
            );
        }
        out.push_str(
            "Regret is measured against the best value reached in this run (log axis; regret below 0.01, e.g. zero, is drawn at 0.01); bands are 95% confidence intervals of the mean over trials (normal approximation). Test values are read after the search and were never shown to the optimizers.\n",
        );
        out
    }
}

fn plot_error(path: &Path, e: impl std::fmt::Display) -> ExperimentError {
    ExperimentError::Plot {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Draws the figures of a finished run into `dir/plots`.
pub(crate) fn draw_figures(
    dir: &Path,
    config: &ExperimentConfig,
    done: &BTreeMap<(usize, u64), TrialRecord>,
    goal: Goal,
) -> Result<Figures, ExperimentError> {
    register_bundled_font();
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(|e| plot_error(&plots, e))?;
    let labels: Vec<&str> = config.optimizers.iter().map(|o| o.label()).collect();
    let curves = anytime_curves(done, &labels, goal);
    let fronts = pareto_fronts(done, &labels, goal);
    let mut files = Vec::new();

    let panels_query = [
        ("validation regret", &curves.validation_by_query),
        ("test regret", &curves.test_by_query),
    ];
    draw_both(&plots, "anytime_queries", (1200, 500), |root| {
        draw_panels(root, &config.name, "queries", &panels_query)
    })?;
    files.push((
        "Anytime regret vs queries".to_owned(),
        "anytime_queries".to_owned(),
    ));
    let panels_time = [
        ("validation regret", &curves.validation_by_time),
        ("test regret", &curves.test_by_time),
    ];
    // On a simulated cluster time is wall-clock time, not summed cost.
    let (time_axis, time_title) = match config.search.workers {
        Some(workers) => {
            let on = if workers == 1 {
                "1 worker".to_owned()
            } else {
                format!("{workers} workers")
            };
            (
                format!("simulated wall-clock seconds ({on})"),
                format!("Anytime regret vs simulated wall-clock time ({on})"),
            )
        }
        None => (
            "simulated seconds".to_owned(),
            "Anytime regret vs simulated time".to_owned(),
        ),
    };
    draw_both(&plots, "anytime_time", (1200, 500), |root| {
        draw_panels(root, &config.name, &time_axis, &panels_time)
    })?;
    files.push((time_title, "anytime_time".to_owned()));
    draw_both(&plots, "pareto", (800, 550), |root| {
        draw_pareto(root, &config.name, &fronts, goal)
    })?;
    files.push((
        "Pareto fronts of queried architectures (validation vs cost)".to_owned(),
        "pareto".to_owned(),
    ));
    Ok(Figures { files })
}

/// The lowest regret the log axis shows; smaller values (zero) sit on it.
const REGRET_FLOOR: f64 = 0.01;

pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws the same figure as `stem.svg` and `stem.png`.
pub(crate) fn draw_both<F>(
    plots: &Path,
    stem: &str,
    size: (u32, u32),
    draw: F,
) -> Result<(), ExperimentError>
where
    F: Fn(&dyn DrawArea) -> DrawResult,
{
    let svg: PathBuf = plots.join(format!("{stem}.svg"));
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        draw(&root).map_err(|e| plot_error(&svg, e))?;
        root.present().map_err(|e| plot_error(&svg, e))?;
    }
    let png: PathBuf = plots.join(format!("{stem}.png"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        draw(&root).map_err(|e| plot_error(&png, e))?;
        root.present().map_err(|e| plot_error(&png, e))?;
    }
    Ok(())
}

/// A drawing area of either backend, so one drawing function serves both.
pub(crate) trait DrawArea {
    fn draw_panels(&self, title: &str, x_label: &str, panels: &[(&str, &Vec<Curve>)])
    -> DrawResult;
    fn draw_pareto(
        &self,
        title: &str,
        fronts: &[(String, Vec<(f64, f64)>)],
        goal: Goal,
    ) -> DrawResult;
    fn draw_cost_error(&self, plot: &CostErrorPlot<'_>) -> DrawResult;
    fn draw_critical_difference(&self, title: &str, diagram: &CriticalDifference) -> DrawResult;
}

impl<DB: DrawingBackend> DrawArea for DrawingArea<DB, Shift>
where
    DB::ErrorType: 'static,
{
    fn draw_critical_difference(&self, title: &str, diagram: &CriticalDifference) -> DrawResult {
        crate::cd_diagram::draw_on(self, title, diagram)
    }

    fn draw_panels(
        &self,
        title: &str,
        x_label: &str,
        panels: &[(&str, &Vec<Curve>)],
    ) -> DrawResult {
        self.fill(&WHITE)?;
        let titled = self.titled(title, ("sans-serif", 22))?;
        let areas = titled.split_evenly((1, panels.len()));
        for (area, (y_label, curves)) in areas.iter().zip(panels) {
            draw_curves(area, x_label, y_label, curves)?;
        }
        Ok(())
    }

    fn draw_pareto(
        &self,
        title: &str,
        fronts: &[(String, Vec<(f64, f64)>)],
        goal: Goal,
    ) -> DrawResult {
        self.fill(&WHITE)?;
        let points = fronts.iter().flat_map(|(_, f)| f.iter());
        let (x_max, y_min, y_max) = points
            .fold((0.0f64, f64::INFINITY, f64::NEG_INFINITY), |acc, p| {
                (acc.0.max(p.0), acc.1.min(p.1), acc.2.max(p.1))
            });
        let (y_min, y_max) = if y_min.is_finite() {
            (y_min, y_max)
        } else {
            (0.0, 1.0)
        };
        let pad = ((y_max - y_min) * 0.05).max(1e-6);
        let mut chart = ChartBuilder::on(self)
            .caption(format!("{title}: Pareto fronts"), ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(0.0..x_max.max(1e-9) * 1.05, (y_min - pad)..(y_max + pad))?;
        chart
            .configure_mesh()
            .x_desc("cost of the query (simulated seconds)")
            .y_desc(match goal {
                Goal::Maximize => "validation (higher is better)",
                Goal::Minimize => "validation (lower is better)",
            })
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()?;
        for (i, (label, front)) in fronts.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            // A front is a staircase: each point holds until a better one.
            let mut steps = Vec::with_capacity(front.len() * 2);
            for (k, p) in front.iter().enumerate() {
                if k > 0 {
                    steps.push((p.0, front[k - 1].1));
                }
                steps.push(*p);
            }
            chart
                .draw_series(LineSeries::new(steps, colour.stroke_width(2)))?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            chart.draw_series(front.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    }

    fn draw_cost_error(&self, plot: &CostErrorPlot<'_>) -> DrawResult {
        self.fill(&WHITE)?;
        let all = plot.models.iter().chain(plot.hull);
        let (x_min, x_max, y_min, y_max) = all.fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |acc, p| {
                (
                    acc.0.min(p.0),
                    acc.1.max(p.0),
                    acc.2.min(p.1),
                    acc.3.max(p.1),
                )
            },
        );
        let (x_min, x_max, y_min, y_max) = if x_min.is_finite() && y_min.is_finite() {
            (x_min, x_max, y_min, y_max)
        } else {
            (0.0, 1.0, 0.0, 1.0)
        };
        let x_pad = ((x_max - x_min) * 0.05).max(1e-6);
        let y_pad = ((y_max - y_min) * 0.08).max(1e-6);
        let mut chart = ChartBuilder::on(self)
            .caption(plot.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(
                (x_min - x_pad)..(x_max + x_pad),
                (y_min - y_pad)..(y_max + y_pad),
            )?;
        chart
            .configure_mesh()
            .x_desc(plot.cost_label)
            .y_desc(plot.error_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()?;
        let (model_colour, hull_colour) = (COLOURS[0], COLOURS[1]);
        chart
            .draw_series(
                plot.models
                    .iter()
                    .map(|p| Circle::new(*p, 4, model_colour.mix(0.6).filled())),
            )?
            .label("models")
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, model_colour.filled()));
        chart
            .draw_series(LineSeries::new(
                plot.hull.iter().copied(),
                hull_colour.stroke_width(2),
            ))?
            .label(plot.hull_label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], hull_colour.stroke_width(2))
            });
        chart.draw_series(
            plot.hull
                .iter()
                .map(|p| Circle::new(*p, 5, hull_colour.filled())),
        )?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    }
}

/// A scatter of models by cost and error with a highlighted front (a hull),
/// as plain data.
pub(crate) struct CostErrorPlot<'a> {
    /// The figure's title.
    pub title: &'a str,
    /// The x axis: what the cost is.
    pub cost_label: &'a str,
    /// The y axis: what the error is.
    pub error_label: &'a str,
    /// Every model as (cost, error).
    pub models: &'a [(f64, f64)],
    /// The front's points, by increasing cost, joined by a line.
    pub hull: &'a [(f64, f64)],
    /// The front's legend entry.
    pub hull_label: &'a str,
}

/// Draws `plot` as `dir/stem.svg` and `dir/stem.png`.
pub(crate) fn draw_cost_error_plot(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    plot: &CostErrorPlot<'_>,
) -> Result<(), ExperimentError> {
    register_bundled_font();
    std::fs::create_dir_all(dir).map_err(|e| plot_error(dir, e))?;
    draw_both(dir, stem, size, |root| root.draw_cost_error(plot))
}

fn draw_panels(
    area: &dyn DrawArea,
    title: &str,
    x_label: &str,
    panels: &[(&str, &Vec<Curve>)],
) -> DrawResult {
    area.draw_panels(title, x_label, panels)
}

fn draw_pareto(
    area: &dyn DrawArea,
    title: &str,
    fronts: &[(String, Vec<(f64, f64)>)],
    goal: Goal,
) -> DrawResult {
    area.draw_pareto(title, fronts, goal)
}

/// One panel: each curve's mean as a line over its 95% CI band.
fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_label: &str,
    y_label: &str,
    curves: &[Curve],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let points = curves.iter().flat_map(|c| c.points.iter());
    let (x_max, y_max) = points.fold((1.0f64, 0.0f64), |acc, p| {
        (acc.0.max(p.x), acc.1.max(p.high))
    });
    // Regret spans orders of magnitude: a log axis, with zero drawn at the floor.
    let floor = REGRET_FLOOR;
    let clamp = |v: f64| v.max(floor);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(0.0..x_max, (floor..clamp(y_max * 1.5)).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(format!("incumbent {y_label}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()?;
    for (i, curve) in curves.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let band: Vec<(f64, f64)> = curve
            .points
            .iter()
            .map(|p| (p.x, clamp(p.high)))
            .chain(curve.points.iter().rev().map(|p| (p.x, clamp(p.low))))
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            colour.mix(0.2).filled(),
        )))?;
        chart
            .draw_series(LineSeries::new(
                curve.points.iter().map(|p| (p.x, clamp(p.mean))),
                colour.stroke_width(2),
            ))?
            .label(curve.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    Ok(())
}
