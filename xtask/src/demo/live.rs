//! The demo's live view: a full-screen table in the terminal, redrawn at
//! most about once a second of host time as the demo's lines arrive — per
//! guest the RAM it holds and its balloon target, its pages in tmem and on
//! the SD card and its faults per second; the tmem pool's use, the
//! manager's reserve and the policy; the latest other log lines.
//!
//! Built on ratatui with its crossterm backend, in the alternate screen.
//! The terminal is not put in raw mode, so Ctrl-C still reaches QEMU (same
//! process group) and ends the run; [`watch_ctrl_c`] keeps xtask alive to
//! restore the terminal and print the summary. The terminal is restored by
//! [`LiveView::finish`], by dropping the view (an error return) and by a
//! panic hook. This module must never print to the terminal while the view
//! is up except by drawing, and never leave the terminal in the alternate
//! screen.

use std::collections::VecDeque;
use std::io::{IsTerminal, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Gauge, Paragraph, Row, Table};
use ratatui::{Frame, Terminal};

use super::series::DemoSeries;
use crate::Error;

/// How often the view is redrawn, at most.
pub const REFRESH: Duration = Duration::from_secs(1);

/// Other log lines kept for the view's last pane.
const RECENT_LINES: usize = 64;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From now on, Ctrl-C (SIGINT) and SIGTERM no longer end xtask: QEMU,
/// which shares the terminal's process group, still ends, and xtask
/// restores the terminal and says so. Returns an error only if a handler
/// could not be installed.
pub fn watch_ctrl_c() -> Result<(), String> {
    static INSTALL: Once = Once::new();
    let mut result = Ok(());
    INSTALL.call_once(|| {
        result = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
            .map_err(|e| e.to_string());
    });
    result
}

/// Whether Ctrl-C was pressed since [`watch_ctrl_c`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Whether a live view can be shown: standard output is a terminal.
pub fn available() -> bool {
    std::io::stdout().is_terminal()
}

/// Leaves the alternate screen and shows the cursor again.
fn restore_terminal() {
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

/// The view while it is up.
pub struct LiveView {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    started: Instant,
    drawn: Option<Instant>,
    recent: VecDeque<String>,
    up: bool,
}

impl LiveView {
    /// Switches the terminal to the view.
    pub fn start() -> Result<LiveView, Error> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        let fail = |e: std::io::Error| Error::io("(terminal)", e);
        // Cleared here rather than with `Terminal::clear`, which asks the
        // terminal where its cursor is and fails where nothing answers.
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide
        )
        .map_err(fail)?;
        let view = LiveView {
            terminal: Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(fail)?,
            started: Instant::now(),
            drawn: None,
            recent: VecDeque::new(),
            up: true,
        };
        Ok(view)
    }

    /// Keeps `line` for the log pane.
    pub fn push_line(&mut self, line: String) {
        if self.recent.len() == RECENT_LINES {
            self.recent.pop_front();
        }
        self.recent.push_back(line);
    }

    /// Redraws from `series` if the last drawing is [`REFRESH`] old.
    pub fn refresh(&mut self, series: &DemoSeries) -> Result<(), Error> {
        if self.drawn.is_some_and(|at| at.elapsed() < REFRESH) {
            return Ok(());
        }
        self.draw(series)
    }

    /// Redraws from `series` now.
    pub fn draw(&mut self, series: &DemoSeries) -> Result<(), Error> {
        let elapsed = self.started.elapsed();
        let recent = &self.recent;
        self.terminal
            .draw(|frame| render(frame, series, recent, elapsed))
            .map_err(|e| Error::io("(terminal)", e))?;
        self.drawn = Some(Instant::now());
        Ok(())
    }

    /// Restores the terminal.
    pub fn finish(mut self) {
        self.take_down();
    }

    fn take_down(&mut self) {
        if std::mem::replace(&mut self.up, false) {
            restore_terminal();
        }
    }
}

impl Drop for LiveView {
    fn drop(&mut self) {
        self.take_down();
    }
}

/// Frames as a count and in MiB.
fn frames(count: u64) -> String {
    format!("{count} ({:.1} MiB)", count as f64 / 256.0)
}

/// Draws the view of `series` on `frame`, with `recent` log lines and the
/// host time the view has been up.
pub fn render(
    frame: &mut Frame<'_>,
    series: &DemoSeries,
    recent: &VecDeque<String>,
    elapsed: Duration,
) {
    let guests = series.guests.len() as u16;
    let [header, table, pool, log] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(guests + 3),
        Constraint::Length(4),
        Constraint::Min(3),
    ])
    .areas(frame.area());

    let pool_sample = series.last_pool();
    let virtual_ms = series
        .guests
        .iter()
        .filter_map(|g| g.last().map(|p| p.sample.t_ms))
        .chain(pool_sample.map(|p| p.t_ms))
        .max()
        .unwrap_or(0);
    let period = pool_sample
        .map(|p| p.period)
        .or_else(|| {
            series
                .guests
                .iter()
                .filter_map(|g| g.last())
                .map(|p| p.sample.period)
                .max()
        })
        .unwrap_or(0);
    let mut title = format!(
        "tmem demo · policy {} · period {period} · {:.1} s virtual, {} s host · Ctrl-C stops",
        series.policy().unwrap_or("?"),
        virtual_ms as f64 / 1000.0,
        elapsed.as_secs()
    );
    if let Some(end) = &series.end {
        title.push_str(&format!(
            " · ended: frames conserved {}",
            if end.conserved { "yes" } else { "NO" }
        ));
    }
    frame.render_widget(
        Paragraph::new(title).style(Style::default().add_modifier(Modifier::BOLD)),
        header,
    );

    let rows = series.guests.iter().filter_map(|guest| {
        let point = guest.last()?;
        let s = &point.sample;
        Some(Row::new(vec![
            guest.name.clone(),
            frames(s.ram),
            frames(s.target),
            s.tmem.to_string(),
            s.sd.to_string(),
            point
                .faults_per_s
                .map_or_else(|| "-".to_string(), |rate| format!("{rate:.0}")),
        ]))
    });
    let widths = [
        Constraint::Length(12),
        Constraint::Length(20),
        Constraint::Length(20),
        Constraint::Length(12),
        Constraint::Length(12),
        Constraint::Length(10),
    ];
    let heading = Row::new([
        "guest",
        "RAM held",
        "target",
        "tmem pages",
        "SD pages",
        "faults/s",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    frame.render_widget(
        Table::new(rows, widths)
            .header(heading)
            .block(Block::bordered().title(" guests (frames of 4 KiB) ")),
        table,
    );

    let (ratio, label) = match pool_sample {
        Some(p) => (
            if p.tmem_capacity == 0 {
                0.0
            } else {
                (p.tmem_used as f64 / p.tmem_capacity as f64).clamp(0.0, 1.0)
            },
            format!(
                "tmem {} of {} pages · manager's reserve {}",
                p.tmem_used,
                p.tmem_capacity,
                frames(p.reserve)
            ),
        ),
        None => (0.0, "no pool report yet".to_string()),
    };
    frame.render_widget(
        Gauge::default()
            .block(Block::bordered().title(" tmem pool "))
            .ratio(ratio)
            .label(label),
        pool,
    );

    let shown = log.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line<'_>> = Vec::new();
    if let Some(problem) = series.problems.last() {
        lines.push(Line::from(format!(
            "{} malformed demo lines; last from {}: {} ({})",
            series.problems.len(),
            problem.origin,
            problem.message,
            problem.error
        )));
    }
    let room = shown.saturating_sub(lines.len());
    lines.extend(
        recent
            .iter()
            .skip(recent.len().saturating_sub(room))
            .map(|line| Line::from(line.as_str())),
    );
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" log ")),
        log,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::series::tests::{guest_line, pool_line};
    use ratatui::backend::TestBackend;

    fn screen(series: &DemoSeries, recent: &VecDeque<String>) -> String {
        let mut terminal = Terminal::new(TestBackend::new(110, 24)).unwrap();
        terminal
            .draw(|frame| render(frame, series, recent, Duration::from_secs(3)))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    #[test]
    fn the_view_shows_each_guests_latest_state_and_the_pool() {
        let mut series = DemoSeries::new();
        for line in [
            guest_line("grower", 1, 1000, 256, 300, 0, 0, (0, 0), (0, 0), 10),
            guest_line("idler", 1, 1000, 512, 400, 7, 3, (0, 0), (0, 0), 0),
            guest_line("grower", 2, 2000, 300, 310, 42, 5, (0, 0), (0, 0), 260),
            pool_line(2, 2000, 250),
        ] {
            series.feed("mm", &line);
        }
        series.feed("mm", "demo guest=broken");
        let recent: VecDeque<String> = ["an older line", "the latest line"]
            .into_iter()
            .map(String::from)
            .collect();
        let text = screen(&series, &recent);
        let row = |name: &str| {
            text.lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("{name} not shown:\n{text}"))
                .to_string()
        };
        let grower = row("grower");
        for shown in ["300 (1.2 MiB)", "310 (1.2 MiB)", "42", "5", "250"] {
            assert!(grower.contains(shown), "{shown} in {grower}");
        }
        let idler = row("idler");
        assert!(
            idler.contains("512 (2.0 MiB)") && idler.contains("400 (1.6 MiB)"),
            "{idler}"
        );
        assert!(text.contains("tmem 250 of 1000 pages"), "{text}");
        assert!(text.contains("manager's reserve 16"), "{text}");
        assert!(
            text.contains("policy selfballoon") && text.contains("period 2"),
            "{text}"
        );
        assert!(text.contains("the latest line"), "{text}");
        assert!(text.contains("1 malformed demo lines"), "{text}");
    }

    #[test]
    fn an_empty_demo_draws_without_panicking() {
        let text = screen(&DemoSeries::new(), &VecDeque::new());
        assert!(text.contains("no pool report yet"), "{text}");
        let tiny = Terminal::new(TestBackend::new(10, 3));
        tiny.unwrap()
            .draw(|frame| render(frame, &DemoSeries::new(), &VecDeque::new(), Duration::ZERO))
            .unwrap();
    }
}
