//! Progress bars on stderr for training, drawn only when asked for and when
//! stderr is a terminal (indicatif hides them otherwise).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(show: bool) -> Self {
        let bar =
            show.then(|| ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()));
        Progress { bar }
    }

    /// No output at all.
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    fn start(&self, message: &'static str, len: u64, template: &str) {
        if let Some(b) = &self.bar {
            if let Ok(style) = ProgressStyle::with_template(template) {
                b.set_style(style);
            }
            b.set_message(message);
            b.set_length(len);
            b.reset();
        }
    }

    /// A new stage counting items.
    pub fn stage(&self, message: &'static str, len: u64) {
        self.start(
            message,
            len,
            "[{elapsed_precise}] {msg:<16} {wide_bar} {pos:>9}/{len:9}",
        );
    }

    /// A new stage counting bytes.
    pub fn bytes_stage(&self, message: &'static str, len: u64) {
        self.start(
            message,
            len,
            "[{elapsed_precise}] {msg:<16} {wide_bar} {bytes:>10}/{total_bytes:10} {bytes_per_sec}",
        );
    }

    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// A line printed above the bar (or nowhere when hidden).
    pub fn println(&self, msg: &str) {
        if let Some(b) = &self.bar {
            b.println(msg);
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
