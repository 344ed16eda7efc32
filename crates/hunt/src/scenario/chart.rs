//! `progress.svg`: the best objective value against evaluations, as a step line.

use crate::ProgressPoint;

/// A small SVG chart of `points` (best value after each count of evaluations).
pub fn progress_svg(points: &[ProgressPoint], title: &str) -> String {
    let (w, h, pad) = (480.0_f64, 240.0_f64, 40.0_f64);
    let x_max = points
        .iter()
        .map(|p| p.evaluations)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let finite: Vec<f64> = points
        .iter()
        .map(|p| p.best_value)
        .filter(|v| v.is_finite())
        .collect();
    let y_min = finite
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let y_max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y_max = if y_max > y_min { y_max } else { y_min + 1.0 };
    let px = |e: f64| pad + e / x_max * (w - 2.0 * pad);
    let py = |v: f64| h - pad - (v - y_min) / (y_max - y_min) * (h - 2.0 * pad);
    let mut path = String::new();
    let mut last_y: Option<f64> = None;
    for p in points.iter().filter(|p| p.best_value.is_finite()) {
        let (x, y) = (px(p.evaluations as f64), py(p.best_value));
        match last_y {
            None => path.push_str(&format!("M{x:.1},{y:.1}")),
            Some(ly) => path.push_str(&format!(" L{x:.1},{ly:.1} L{x:.1},{y:.1}")),
        }
        last_y = Some(y);
    }
    if let Some(ly) = last_y {
        path.push_str(&format!(" L{:.1},{ly:.1}", px(x_max)));
    }
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">
<title>{title}</title>
<rect width="{w}" height="{h}" fill="#fff"/>
<text x="{pad}" y="20" font-size="13">{title}</text>
<line x1="{pad}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/>
<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{b}" stroke="#888"/>
<text x="{r}" y="{lb}" text-anchor="end">{x_max} evaluations</text>
<text x="{lx}" y="{b}" text-anchor="end">{y_min}</text>
<text x="{lx}" y="{pad}" text-anchor="end">{y_top}</text>
<path d="{path}" fill="none" stroke="#c0392b" stroke-width="2"/>
</svg>
"##,
        title = esc(title),
        b = h - pad,
        r = w - pad,
        lb = h - pad + 16.0,
        lx = pad - 4.0,
        y_top = (y_max * 1e3).round() / 1e3,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_step_line() {
        let pts = [
            ProgressPoint {
                evaluations: 16,
                best_value: 1.0,
                elapsed_ms: 1.0,
            },
            ProgressPoint {
                evaluations: 32,
                best_value: 5.0,
                elapsed_ms: 2.0,
            },
        ];
        let svg = progress_svg(&pts, "lost writes <&>");
        assert!(svg.starts_with("<svg") && svg.contains("<path d=\"M"));
        assert!(svg.contains("lost writes &lt;&amp;&gt;"));
        assert!(svg.contains("32 evaluations"));
    }
}
