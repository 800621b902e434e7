//! Running a check's rules, on one thread or two.
//!
//! Rules are independent: each reads the same facts and its own matches and returns its own
//! results. So once the scan is done, the second core that scanned beside the reader can run
//! half of the rules: two threads take the next rule from one queue in the rule set's order
//! (built-in rules first), and every outcome lands in its rule's slot, so the report does not
//! depend on which thread ran what.

use super::run::run;
use super::{Outcome, Rule};
use crate::limits::ScriptLimits;
use crate::report::Diagnostic;
use rhai::{Dynamic, Engine};
use std::sync::atomic::{AtomicUsize, Ordering};
use web_time::Instant;

/// One rule to run.
#[derive(Debug)]
pub struct Job<'r> {
    /// The rule's index in the rule set (its outcome's slot).
    pub index: usize,
    /// The rule.
    pub rule: &'r Rule,
}

/// What every rule reads: the facts, and a rule's pattern matches as its script sees them
/// (built by the thread that runs the rule, and dropped when it returns).
pub type Inputs<'i> = (&'i Dynamic, &'i (dyn Fn(&Rule) -> Dynamic + Sync));

/// What running one rule gave: its slot, outcome and printed lines.
pub type Ran = (usize, Outcome, Vec<String>);

/// Runs `jobs` in order on up to `threads` threads. A rule that would start after the check's
/// rules have used `limits.check_wall_clock` in all is not run (`rule-limit-check-time`).
pub fn run_all(
    engine: &Engine,
    limits: &ScriptLimits,
    inputs: Inputs<'_>,
    jobs: Vec<Job<'_>>,
    threads: usize,
) -> Vec<Ran> {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let jobs: Vec<std::sync::Mutex<Option<Job<'_>>>> = jobs
        .into_iter()
        .map(|j| std::sync::Mutex::new(Some(j)))
        .collect();
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = jobs.get(i) else {
                break;
            };
            let Some(job) = slot.lock().ok().and_then(|mut j| j.take()) else {
                continue;
            };
            done.push(run_one(engine, limits, inputs, job, started));
        }
        done
    };
    let threads = if jobs.len() < 2 { 1 } else { threads };
    let (mut done, theirs) = crate::threads::on_two_threads("kvcsi-rules", threads, work);
    done.extend(theirs.into_iter().flatten());
    done
}

fn run_one(
    engine: &Engine,
    limits: &ScriptLimits,
    (facts, matches_of): Inputs<'_>,
    job: Job<'_>,
    started: Instant,
) -> Ran {
    let budget = limits.check_wall_clock;
    if started.elapsed() >= budget {
        let mut diagnostic = Diagnostic::new(
            "rule-limit-check-time",
            format!(
                "not run: the rules of this check already took {} s in all",
                budget.as_secs()
            ),
        )
        .with_rule(&job.rule.meta.id)
        .with_source(&job.rule.source.file);
        diagnostic.limit = super::limit_name("rule-limit-check-time").map(str::to_owned);
        return (job.index, Outcome::Failed(diagnostic), Vec::new());
    }
    let matches = matches_of(job.rule);
    let (outcome, printed) = run(engine, limits, job.rule, facts, matches);
    (job.index, outcome, printed)
}
