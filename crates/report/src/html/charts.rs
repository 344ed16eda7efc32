//! Inline SVG time charts: axes, lines, stacked areas, bars, and the run's events
//! (faults, detection, activation, recovery) drawn over them.
//!
//! Every chart of a report shares one x scale, so a vertical line at the same instant
//! lines up from chart to chart. Hover titles (`<title>`) give exact values without
//! any script.

use std::fmt::Write as _;

use crate::text::{clock, escape, number};

/// Width of every chart in SVG units (scaled to the page by CSS).
pub const WIDTH: f64 = 960.0;
/// Left margin: room for the y axis labels.
pub const LEFT: f64 = 64.0;
/// Right margin.
pub const RIGHT: f64 = 16.0;

/// Kinds of events drawn as vertical lines, each with its colour class in the CSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A fault was injected.
    Fault,
    /// A fault was healed.
    Heal,
    /// Detection (TTD).
    Detect,
    /// Activation (TTA).
    Activate,
    /// Recovery (end of the RTO).
    Recovered,
}

impl MarkKind {
    fn class(self) -> &'static str {
        match self {
            MarkKind::Fault => "m-fault",
            MarkKind::Heal => "m-heal",
            MarkKind::Detect => "m-detect",
            MarkKind::Activate => "m-activate",
            MarkKind::Recovered => "m-recovered",
        }
    }
}

/// A vertical line at an instant.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Seconds from the start of the run.
    pub t_s: f64,
    /// What it is.
    pub kind: MarkKind,
    /// Hover text.
    pub label: String,
}

/// Shaded intervals behind the data.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// Vertical lines.
    pub marks: Vec<Mark>,
    /// The transition `[t_f, t_r]` (or to the end when not recovered).
    pub transition: Option<(f64, f64)>,
    /// Intervals in which a fault was active.
    pub fault_spans: Vec<(f64, f64)>,
}

/// A chart under construction: an SVG with a time x axis and a linear or log y axis.
pub struct Chart {
    svg: String,
    height: f64,
    top: f64,
    bottom: f64,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    log: bool,
}

impl Chart {
    /// A chart `height` units tall over `[x0, x1]` seconds and `[y0, y1]` on the y axis
    /// (a log axis when `log`; then `y0 > 0`).
    pub fn new(
        id: &str,
        title: &str,
        height: f64,
        x: (f64, f64),
        y: (f64, f64),
        log: bool,
    ) -> Self {
        let (x0, mut x1) = x;
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        let (mut y0, mut y1) = y;
        if log {
            y0 = y0.max(1e-3);
        }
        if y1 <= y0 {
            y1 = if log { y0 * 10.0 } else { y0 + 1.0 };
        }
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
            t = escape(title)
        );
        Self {
            svg,
            height,
            top: 10.0,
            bottom: 26.0,
            x0,
            x1,
            y0,
            y1,
            log,
        }
    }

    /// The x coordinate of an instant.
    pub fn x(&self, t_s: f64) -> f64 {
        LEFT + (t_s - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)
    }

    /// The y coordinate of a value (clamped to the plot).
    pub fn y(&self, v: f64) -> f64 {
        let frac = if self.log {
            (v.max(self.y0).log10() - self.y0.log10()) / (self.y1.log10() - self.y0.log10())
        } else {
            (v - self.y0) / (self.y1 - self.y0)
        };
        let frac = frac.clamp(0.0, 1.0);
        self.height - self.bottom - frac * (self.height - self.top - self.bottom)
    }

    fn plot_bottom(&self) -> f64 {
        self.height - self.bottom
    }

    /// Draws the shaded transition and fault intervals (call before the data).
    pub fn underlay(&mut self, overlay: &Overlay) {
        let (top, bottom) = (self.top, self.plot_bottom());
        for (a, b) in &overlay.fault_spans {
            let (xa, xb) = (self.x(a.max(self.x0)), self.x(b.min(self.x1)));
            if xb > xa {
                let _ = write!(
                    self.svg,
                    r#"<rect class="span-fault" x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}"/>"#,
                    xa,
                    xb - xa,
                    bottom - top
                );
            }
        }
        if let Some((a, b)) = overlay.transition {
            let (xa, xb) = (self.x(a.max(self.x0)), self.x(b.min(self.x1)));
            if xb > xa {
                let _ = write!(
                    self.svg,
                    r#"<rect class="span-transition" x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}"><title>transition {} – {}</title></rect>"#,
                    xa,
                    xb - xa,
                    bottom - top,
                    clock(a),
                    clock(b)
                );
            }
        }
    }

    /// Draws the event lines (call after the data so they stay visible).
    pub fn marks(&mut self, overlay: &Overlay) {
        let (top, bottom) = (self.top, self.plot_bottom());
        for m in &overlay.marks {
            if m.t_s < self.x0 || m.t_s > self.x1 {
                continue;
            }
            let x = self.x(m.t_s);
            let _ = write!(
                self.svg,
                r#"<line class="mark {}" x1="{x:.1}" x2="{x:.1}" y1="{top:.1}" y2="{bottom:.1}"><title>{} at {}</title></line>"#,
                m.kind.class(),
                escape(&m.label),
                clock(m.t_s)
            );
        }
    }

    /// Draws the axes, grid lines and tick labels; `fmt` formats a y value.
    pub fn axes(&mut self, y_label: &str, fmt: &dyn Fn(f64) -> String) {
        let bottom = self.plot_bottom();
        let ticks = if self.log {
            log_ticks(self.y0, self.y1)
        } else {
            linear_ticks(self.y0, self.y1, 4)
        };
        for v in ticks {
            let y = self.y(v);
            let _ = write!(
                self.svg,
                r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                escape(&fmt(v))
            );
        }
        for t in linear_ticks(self.x0, self.x1, 8) {
            let x = self.x(t);
            let _ = write!(
                self.svg,
                r#"<line class="tickline" x1="{x:.1}" x2="{x:.1}" y1="{bottom:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                bottom + 4.0,
                bottom + 17.0,
                clock(t)
            );
        }
        let _ = write!(
            self.svg,
            r#"<line class="axis" x1="{LEFT}" x2="{:.1}" y1="{bottom:.1}" y2="{bottom:.1}"/><text class="ylabel" x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
            WIDTH - RIGHT,
            (self.top + bottom) / 2.0,
            (self.top + bottom) / 2.0,
            escape(y_label)
        );
    }

    /// A polyline through `(t, value)` points; `None` values break the line.
    pub fn line(&mut self, class: &str, points: &[(f64, Option<f64>)]) {
        let mut d = String::new();
        let mut pen_down = false;
        for (t, v) in points {
            match v {
                Some(v) if v.is_finite() => {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1}",
                        if pen_down { " L" } else { " M" },
                        self.x(*t),
                        self.y(*v)
                    );
                    pen_down = true;
                }
                _ => pen_down = false,
            }
        }
        if !d.is_empty() {
            let _ = write!(
                self.svg,
                r#"<path class="{class}" d="{}"/>"#,
                d.trim_start()
            );
        }
    }

    /// Stacked step areas: `layers[k][i]` is layer k's value at step i (starting at
    /// `times[i]`, lasting `step_s`); each layer is stacked on the previous ones.
    pub fn stacked(&mut self, classes: &[&str], times: &[f64], step_s: f64, layers: &[Vec<f64>]) {
        let mut base = vec![0.0; times.len()];
        for (layer, class) in layers.iter().zip(classes) {
            if layer.iter().all(|v| *v <= 0.0) {
                continue;
            }
            let mut upper: Vec<(f64, f64)> = Vec::with_capacity(times.len() * 2);
            let mut lower: Vec<(f64, f64)> = Vec::with_capacity(times.len() * 2);
            for (i, t) in times.iter().enumerate() {
                let top = base[i] + layer[i];
                let (xa, xb) = (self.x(*t), self.x(t + step_s));
                upper.push((xa, self.y(top)));
                upper.push((xb, self.y(top)));
                lower.push((xa, self.y(base[i])));
                lower.push((xb, self.y(base[i])));
                base[i] = top;
            }
            let mut d = String::new();
            for (i, (x, y)) in upper.iter().chain(lower.iter().rev()).enumerate() {
                let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { " L" });
            }
            d.push_str(" Z");
            let _ = write!(self.svg, r#"<path class="{class}" d="{d}"/>"#);
        }
    }

    /// Bars of `values[i]` over `[times[i], times[i] + step_s)`, stacked on `base`.
    pub fn bars(
        &mut self,
        class: &str,
        times: &[f64],
        step_s: f64,
        values: &[f64],
        base: &[f64],
        title: &str,
    ) {
        for (i, t) in times.iter().enumerate() {
            let v = values[i];
            if v <= 0.0 {
                continue;
            }
            let (xa, xb) = (self.x(*t), self.x(t + step_s));
            let (ya, yb) = (self.y(base[i] + v), self.y(base[i]));
            let _ = write!(
                self.svg,
                r#"<rect class="{class}" x="{xa:.1}" y="{ya:.1}" width="{:.1}" height="{:.1}"><title>{} {title} at {}</title></rect>"#,
                (xb - xa).max(1.5),
                (yb - ya).max(1.0),
                number(v, 0),
                clock(*t)
            );
        }
    }

    /// Appends raw SVG markup (the caller escapes its text).
    pub fn raw(&mut self, markup: &str) {
        self.svg.push_str(markup);
    }

    /// Finishes the SVG.
    pub fn finish(mut self) -> String {
        self.svg.push_str("</svg>");
        self.svg
    }
}

/// About `n` round ticks between `a` and `b`.
pub fn linear_ticks(a: f64, b: f64, n: usize) -> Vec<f64> {
    if b <= a || n == 0 {
        return vec![a];
    }
    let raw = (b - a) / n as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut out = Vec::new();
    let mut v = (a / step).ceil() * step;
    // Bounded: at most n + 2 ticks by construction of `step`.
    while v <= b + step * 1e-9 && out.len() <= n + 2 {
        out.push(v);
        v += step;
    }
    out
}

/// Powers of ten between `a` and `b`.
fn log_ticks(a: f64, b: f64) -> Vec<f64> {
    let lo = a.log10().ceil() as i32;
    let hi = b.log10().floor() as i32;
    (lo..=hi.min(lo + 12)).map(|e| 10f64.powi(e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        assert_eq!(
            linear_ticks(0.0, 100.0, 4),
            vec![0.0, 25.0, 50.0, 75.0, 100.0]
        );
        let t = linear_ticks(570.0, 720.0, 8);
        assert!(t.iter().all(|v| (570.0..=720.0).contains(v)), "{t:?}");
        assert_eq!(
            log_ticks(0.5, 20_000.0),
            vec![1.0, 10.0, 100.0, 1000.0, 10_000.0]
        );
    }

    #[test]
    fn scales_map_the_domain_onto_the_plot() {
        let c = Chart::new("c", "t", 200.0, (10.0, 20.0), (0.0, 100.0), false);
        assert_eq!(c.x(10.0), LEFT);
        assert_eq!(c.x(20.0), WIDTH - RIGHT);
        assert_eq!(c.y(0.0), 200.0 - 26.0);
        assert_eq!(c.y(100.0), 10.0);
        assert_eq!(c.y(1e9), 10.0, "values past the top are clamped");
    }

    #[test]
    fn stacked_areas_close_their_paths() {
        let mut c = Chart::new("c", "t", 100.0, (0.0, 2.0), (0.0, 1.0), false);
        c.stacked(
            &["a", "b"],
            &[0.0, 1.0],
            1.0,
            &[vec![0.5, 0.1], vec![0.2, 0.2]],
        );
        let svg = c.finish();
        assert_eq!(svg.matches("<path").count(), 2);
        assert_eq!(svg.matches(" Z\"").count(), 2);
    }
}
