//! Charts drawn on the server as inline SVG: readable without JavaScript, each
//! bar titled with its exact value (the browser shows it on hover), and all
//! geometry in integers — amounts stay exact fen, never floats.

use std::fmt::Write;

/// Escapes text for SVG/HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One column: its value (for the height), how to write it, and its label.
pub struct Column {
    pub value: u64,
    pub shown: String,
    pub label: String,
}

const WIDTH: u64 = 600;
const HEIGHT: u64 = 160;
const LEFT: u64 = 72;
const BOTTOM: u64 = 22;
const TOP: u64 = 10;

/// A column chart of a daily series, labelled at the first, middle and last day.
pub fn columns(title: &str, class: &str, columns: &[Column], max_shown: &str) -> String {
    let plot_w = WIDTH - LEFT - 4;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let max = columns.iter().map(|c| c.value).max().unwrap_or(0).max(1);
    let n = columns.len().max(1) as u64;
    let slot = plot_w / n;
    let bar = (slot * 7 / 10).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart {class}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>"#,
        title = escape(title),
        class = escape(class),
    );
    let base = TOP + plot_h;
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}" class="axis"/><line x1="{LEFT}" y1="{TOP}" x2="{WIDTH}" y2="{TOP}" class="grid"/><text x="{x}" y="{y}" class="tick" text-anchor="end">{max_shown}</text><text x="{x}" y="{base}" class="tick" text-anchor="end">0</text>"#,
        x = LEFT - 6,
        y = TOP + 8,
        max_shown = escape(max_shown),
    );
    for (i, column) in columns.iter().enumerate() {
        let h = (u128::from(column.value) * u128::from(plot_h) / u128::from(max)) as u64;
        let x = LEFT + i as u64 * slot + (slot - bar) / 2;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{bar}" height="{h}" class="bar"><title>{label}: {shown}</title></rect>"#,
            y = base - h,
            label = escape(&column.label),
            shown = escape(&column.shown),
        );
    }
    let last = columns.len().saturating_sub(1);
    for i in [0, last / 2, last] {
        if let Some(column) = columns.get(i) {
            let x = LEFT + i as u64 * slot + slot / 2;
            let _ = write!(
                svg,
                r#"<text x="{x}" y="{y}" class="tick" text-anchor="middle">{label}</text>"#,
                y = HEIGHT - 6,
                label = escape(&column.label),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One bar of a horizontal bar chart: label, length in basis points of the full
/// width (0..=10000) and the text at its end.
pub struct Bar {
    pub label: String,
    pub basis_points: u64,
    pub shown: String,
}

/// Horizontal bars on a 0–100 % scale, with a dashed line at `target_bp`.
pub fn bars(title: &str, bars: &[Bar], target_bp: Option<u64>) -> String {
    let row = 26u64;
    let label_w = 120u64;
    // Room at the end for "65.52% (38/58)".
    let plot_w = WIDTH - label_w - 160;
    let height = row * bars.len().max(1) as u64 + 8;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>"#,
        title = escape(title),
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i as u64 * row + 4;
        let w = bar.basis_points.min(10_000) * plot_w / 10_000;
        // Below the target reads amber at a glance.
        let class = match target_bp {
            Some(target) if bar.basis_points < target => "bar low",
            _ => "bar",
        };
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" class="label" text-anchor="end">{label}</text><rect x="{label_w}" y="{y}" width="{plot_w}" height="18" class="track"/><rect x="{label_w}" y="{y}" width="{w}" height="18" class="{class}"><title>{label}: {shown}</title></rect><text x="{vx}" y="{ty}" class="value">{shown}</text>"#,
            lx = label_w - 8,
            ty = y + 14,
            vx = label_w + plot_w + 8,
            label = escape(&bar.label),
            shown = escape(&bar.shown),
        );
    }
    if let Some(target) = target_bp {
        let x = label_w + target.min(10_000) * plot_w / 10_000;
        let _ = write!(
            svg,
            r#"<line x1="{x}" y1="0" x2="{x}" y2="{height}" class="target"/>"#
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_scale_to_the_largest_and_escape_labels() {
        let svg = columns(
            "Claims <30 days>",
            "claims",
            &[
                Column {
                    value: 5,
                    shown: "5".into(),
                    label: "11-01".into(),
                },
                Column {
                    value: 10,
                    shown: "10".into(),
                    label: "11-02".into(),
                },
            ],
            "10",
        );
        assert!(svg.contains("Claims &lt;30 days&gt;"));
        assert!(!svg.contains("<30"));
        // The tallest column fills the plot (128 px), the other half of it.
        assert!(
            svg.contains(r#"height="128" class="bar"><title>11-02: 10</title>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="64" class="bar"><title>11-01: 5</title>"#),
            "{svg}"
        );
    }

    #[test]
    fn an_all_zero_series_draws_flat_columns() {
        let svg = columns(
            "x",
            "x",
            &[Column {
                value: 0,
                shown: "0".into(),
                label: "d".into(),
            }],
            "0",
        );
        assert!(svg.contains(r#"height="0" class="bar""#));
    }

    #[test]
    fn bars_are_percent_of_the_width_with_a_target_line() {
        let svg = bars(
            "use",
            &[Bar {
                label: "直播间".into(),
                basis_points: 5000,
                shown: "50.00%".into(),
            }],
            Some(6500),
        );
        // 320 px of plot: half is 160, the target at 65 % is 120 + 208.
        // 50 % is below the 65 % target: amber.
        assert!(
            svg.contains(r#"width="160" height="18" class="bar low""#),
            "{svg}"
        );
        assert!(svg.contains(r#"x1="328""#), "{svg}");
        let above = bars(
            "use",
            &[Bar {
                label: "短视频".into(),
                basis_points: 7000,
                shown: "70.00%".into(),
            }],
            Some(6500),
        );
        assert!(
            above.contains(r#"width="224" height="18" class="bar""#),
            "{above}"
        );
    }
}
