//! Progress on standard error: indicatif bars on a terminal, one plain line per finished step
//! otherwise (logs, CI, `folio backup ... 2>backup.log`), e.g. `backup: notes 1200 rows`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// How a backup or restore reports its steps.
#[derive(Clone, Debug)]
pub struct Progress {
    /// `backup`, `verify` or `restore`: the first word of every line.
    verb: &'static str,
    bars: bool,
}

impl Progress {
    /// Bars when standard error is a terminal, plain lines otherwise.
    pub fn for_stderr(verb: &'static str) -> Progress {
        Progress {
            verb,
            bars: std::io::stderr().is_terminal(),
        }
    }

    /// Plain lines always (tests, and anything that parses the output).
    pub fn plain(verb: &'static str) -> Progress {
        Progress { verb, bars: false }
    }

    /// The same output style under another verb (restore verifies first).
    pub fn with_verb(&self, verb: &'static str) -> Progress {
        Progress {
            verb,
            bars: self.bars,
        }
    }

    /// A count of `unit`s for the step `what`, out of `total` when it is known.
    pub fn step(&self, what: &str, unit: &'static str, total: Option<u64>) -> Step {
        let bar = self.bars.then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::new_spinner(),
            };
            let template = match total {
                Some(_) => "{prefix:>10} {msg:<22} [{bar:30}] {pos}/{len}",
                None => "{prefix:>10} {msg:<22} {spinner} {pos}",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(self.verb);
            bar.set_message(what.to_owned());
            bar
        });
        Step {
            verb: self.verb,
            what: what.to_owned(),
            unit,
            count: 0,
            bar,
        }
    }

    /// A line that is not a count (a warning, the final summary).
    pub fn note(&self, message: &str) {
        eprintln!("{}: {message}", self.verb);
    }
}

/// One step being counted.
#[derive(Debug)]
pub struct Step {
    verb: &'static str,
    what: String,
    unit: &'static str,
    count: u64,
    bar: Option<ProgressBar>,
}

impl Step {
    pub fn inc(&mut self, n: u64) {
        self.count += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// The bar stays on screen with its final count; without bars, the one line.
    pub fn finish(self) {
        match self.bar {
            Some(bar) => bar.finish(),
            None => eprintln!("{}: {} {} {}", self.verb, self.what, self.count, self.unit),
        }
    }
}
