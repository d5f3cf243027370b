//! The evaluation workers: one OS thread per core, each owning its own
//! evaluators, since a wasmtime store belongs to one thread. The async side
//! hands them work through a bounded queue and awaits the answer, so it never
//! runs a plugin itself and a full queue slows submitters instead of growing.

use std::sync::Arc;

use payrules_host::{Evaluator, Host, RuleSet};
use payrules_intake::{Checked, ClaimInput, FixError, FixRun, InputKind, check_input, fix_document, read_text_claims};
use payrules_model::Claim;
use tokio::sync::oneshot;

/// Work for one worker.
pub enum Work {
    /// Read a request body into claims and, if it holds exactly one, check
    /// it too, which saves a second trip through the queue.
    Body {
        /// How records name the body.
        name: String,
        /// What the submitter says it is.
        kind: InputKind,
        /// The body.
        text: String,
        /// Check it as every payer in force would.
        all_payers: bool,
    },
    /// Check claims that have been read, in order.
    Inputs {
        /// The claims, or why each could not be read.
        inputs: Vec<ClaimInput>,
        /// Check them as every payer in force would.
        all_payers: bool,
    },
    /// Read JSON Lines lines into claims, and check each. Lines go to a
    /// worker several at a time, since handing a claim from thread to
    /// thread costs about as much as reading it.
    Lines {
        /// How records name the body.
        name: Arc<str>,
        /// Each line with its number in the body, from 1.
        lines: Vec<(usize, String)>,
        /// Check them as every payer in force would.
        all_payers: bool,
    },
    /// Fix the claims of an 837P.
    Fix {
        /// The interchange.
        text: String,
    },
}

/// What a worker answers.
pub enum Done {
    /// The claims of a batch, in body order, or the one error of a body that could not be read.
    Parsed(Vec<ClaimInput>),
    /// A body that held one claim on its own, checked, with the claim itself when it was read.
    Single {
        /// The record's content.
        checked: Box<Checked>,
        /// The claim, for the decision log.
        claim: Option<Box<Claim>>,
    },
    /// Several claims checked, in the order asked, each with its claim when it was read.
    CheckedMany(Vec<(Box<Checked>, Option<Box<Claim>>)>),
    /// An 837P fixed.
    Fixed(Result<FixRun, FixError>),
}

struct Job {
    rule_set: Arc<RuleSet>,
    work: Work,
    reply: oneshot::Sender<Done>,
}

/// The workers gave no answer: they have stopped, or one failed inside.
#[derive(Debug, thiserror::Error)]
#[error("the evaluation workers gave no answer")]
pub struct NoAnswer;

/// The worker pool.
#[derive(Clone)]
pub struct Pool {
    jobs: async_channel::Sender<Job>,
    workers: usize,
}

impl Pool {
    /// Starts `workers` threads over `host`. A claim with more service lines
    /// than `max_lines` is answered as invalid input without being evaluated.
    pub fn start(host: Arc<Host>, workers: usize, max_lines: usize) -> std::io::Result<Pool> {
        let workers = workers.max(1);
        // Enough queued work to keep every worker busy between two wake-ups.
        let (jobs, queue) = async_channel::bounded::<Job>(workers * 32);
        for index in 0..workers {
            let host = Arc::clone(&host);
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("payrules-worker-{index}"))
                .spawn(move || work(&host, &queue, max_lines))?;
        }
        Ok(Pool { jobs, workers })
    }

    /// How many workers there are.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Has a worker do `work` under `rule_set`, and waits for the answer.
    pub async fn run(&self, rule_set: &Arc<RuleSet>, work: Work) -> Result<Done, NoAnswer> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { rule_set: Arc::clone(rule_set), work, reply }).await.map_err(|_| NoAnswer)?;
        answer.await.map_err(|_| NoAnswer)
    }
}

/// One worker's loop: it keeps an evaluator for the rule set it last used,
/// and makes a new one when a job names another (after a swap). An idle
/// worker holds on to the last rule set it used until its next job.
fn work(host: &Host, queue: &async_channel::Receiver<Job>, max_lines: usize) {
    let mut current: Option<Evaluator<'_>> = None;
    while let Ok(job) = queue.recv_blocking() {
        let evaluator = match current.take() {
            Some(evaluator) if std::ptr::eq(evaluator.rule_set(), Arc::as_ptr(&job.rule_set)) => evaluator,
            _ => host.evaluator(Arc::clone(&job.rule_set)),
        };
        let evaluator = current.insert(evaluator);
        let done = match job.work {
            Work::Body { name, kind, text, all_payers } => {
                let read = read_text_claims(name, kind, text);
                let mut inputs: Vec<ClaimInput> = read.claims.collect();
                match inputs.pop() {
                    // One claim on its own is checked here; an input that could
                    // not be read at all goes back as it is, for a 400.
                    Some(only) if !read.batch && inputs.is_empty() && !only.whole => {
                        let (checked, claim) = check_one(evaluator, within_limits(only, max_lines), all_payers);
                        Done::Single { checked, claim }
                    }
                    last => Done::Parsed(inputs.into_iter().chain(last).collect()),
                }
            }
            Work::Inputs { inputs, all_payers } => Done::CheckedMany(
                inputs
                    .into_iter()
                    .map(|input| check_one(evaluator, within_limits(input, max_lines), all_payers))
                    .collect(),
            ),
            Work::Lines { name, lines, all_payers } => Done::CheckedMany(
                lines
                    .into_iter()
                    .map(|(number, line)| {
                        let input = payrules_intake::json_claim(&name, &format!("{name}:{number}"), number, &line);
                        check_one(evaluator, within_limits(input, max_lines), all_payers)
                    })
                    .collect(),
            ),
            Work::Fix { text } => Done::Fixed(fix_document(evaluator, &text)),
        };
        // The submitter may have gone (a closed connection); the answer is then dropped.
        let _ = job.reply.send(done);
    }
}

/// One claim checked, and the claim itself when it was read.
fn check_one(evaluator: &mut Evaluator<'_>, input: ClaimInput, all_payers: bool) -> (Box<Checked>, Option<Box<Claim>>) {
    let checked = check_input(evaluator, &input, all_payers);
    (Box::new(checked), input.claim.ok().map(Box::new))
}

/// `input`, or an invalid-input record when the claim has more service lines than the service accepts.
fn within_limits(input: ClaimInput, max_lines: usize) -> ClaimInput {
    match &input.claim {
        Ok(claim) if claim.lines.len() > max_lines => ClaimInput {
            claim: Err(format!(
                "{}: the claim has {} service lines; this service accepts at most {max_lines} per claim (--max-lines-per-claim)",
                input.source,
                claim.lines.len()
            )),
            ..input
        },
        _ => input,
    }
}
