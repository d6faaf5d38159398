//! Group commit for storefront claims: concurrent claims queue per database; the
//! first to find no batch running leads one (on a task of its own, so a client
//! that goes away cannot cut it short) and applies everything waiting — up to
//! [`MAX_BATCH`] at a time — in one write transaction: each claim decided under
//! every rule of SPEC §3 in order ([`super::batch::decide`]), one commit, then each
//! answered with its own claim or reason. A lone claim never waits for company: the
//! leader takes what is queued when it starts, no timer. A claim whose client
//! has gone before its batch starts is dropped unwritten.
//!
//! An Idempotency-Key travels with its claim and is written in the same
//! transaction: the key is taken first (a unique row, which also makes a
//! concurrent retry in another process wait for this one), the answer stored
//! beside the claim, so a retry gets exactly what the first request got.
//!
//! A batch that fails for a reason other than the storage (a bug, a constraint)
//! is tried again one claim at a time, so one bad claim never fails its
//! neighbours; a storage fault answers every claim of the batch `Unavailable` —
//! none was acknowledged.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use super::batch::{Attempt, Decision, decide, same_windows};
use crate::error::{Result, StoreError};
use crate::idempotency;

/// Claims one transaction takes at most.
pub const MAX_BATCH: usize = 256;

/// How a keyed claim's answer is stored for retries: (HTTP status, body).
pub type Render = Box<dyn Fn(&Decision) -> (u16, String) + Send + Sync>;

/// An Idempotency-Key sent with a claim.
pub struct Keyed {
    pub key: String,
    /// A hash of the request, to tell a retry from another request.
    pub request_hash: String,
    pub render: Render,
}

/// The answer to one queued claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Decided(Decision),
    /// The key answered this very request before: its stored answer.
    Replay {
        status: u16,
        body: String,
    },
    /// The key was used with another request.
    KeyMismatch,
    /// The key's first request is still running (a write of another kind).
    KeyInProgress,
}

struct Ticket {
    attempt: Attempt,
    keyed: Option<Keyed>,
    reply: oneshot::Sender<Result<Outcome>>,
}

#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    waiting: VecDeque<Ticket>,
    leading: bool,
}

/// One queue per SQLite file (its one writer), shared by every pool of the
/// process; on PostgreSQL one per pool (pools may differ in schema, and the
/// server orders concurrent batches by its row locks anyway).
fn queue_for(db: &DatabaseConnection) -> Arc<Queue> {
    static QUEUES: OnceLock<Mutex<HashMap<String, Arc<Queue>>>> = OnceLock::new();
    let mut queues = QUEUES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    queues.entry(queue_key(db)).or_default().clone()
}

fn queue_key(db: &DatabaseConnection) -> String {
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => crate::db::database_key(db),
        _ => format!(
            "pool@{:p}",
            Arc::as_ptr(&db.get_postgres_connection_pool().connect_options())
        ),
    }
}

/// Queues `attempt` and waits for its batch.
pub async fn submit(
    db: &DatabaseConnection,
    attempt: Attempt,
    keyed: Option<Keyed>,
) -> Result<Outcome> {
    let queue = queue_for(db);
    let (reply, answer) = oneshot::channel();
    let lead = {
        let mut state = queue.state.lock().unwrap_or_else(|p| p.into_inner());
        state.waiting.push_back(Ticket {
            attempt,
            keyed,
            reply,
        });
        !std::mem::replace(&mut state.leading, true)
    };
    if lead {
        tokio::spawn(lead_batches(db.clone(), queue));
    }
    answer
        .await
        .map_err(|_| StoreError::Unavailable("the claim's batch stopped".into()))?
}

/// Runs batches while claims wait; then steps down.
async fn lead_batches(db: DatabaseConnection, queue: Arc<Queue>) {
    let mut guard = Leading {
        queue: queue.clone(),
        db: db.clone(),
        done: false,
    };
    loop {
        let batch = {
            let mut state = queue.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.waiting.is_empty() {
                state.leading = false;
                guard.done = true;
                return;
            }
            take_batch(&mut state.waiting)
        };
        run_batch(&db, batch).await;
        // Let the clients just answered run first: those that claim again
        // join the next batch instead of trailing it (no timer; a lone claim
        // still goes at once).
        tokio::task::yield_now().await;
    }
}

/// Up to [`MAX_BATCH`] tickets whose clients still wait, sharing one local day
/// and month with the first.
fn take_batch(waiting: &mut VecDeque<Ticket>) -> Vec<Ticket> {
    let mut batch: Vec<Ticket> = Vec::new();
    while let Some(ticket) = waiting.front() {
        if batch.len() == MAX_BATCH {
            break;
        }
        if let Some(first) = batch.first()
            && !same_windows(first.attempt.now, ticket.attempt.now)
        {
            break;
        }
        let ticket = waiting.pop_front().expect("the front exists");
        if !ticket.reply.is_closed() {
            batch.push(ticket);
        }
    }
    batch
}

/// Steps down if a batch panicked, and hands any waiting claims to a new leader.
struct Leading {
    queue: Arc<Queue>,
    db: DatabaseConnection,
    done: bool,
}

impl Drop for Leading {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.queue.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.waiting.is_empty() {
            state.leading = false;
        } else if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(lead_batches(self.db.clone(), self.queue.clone()));
        } else {
            state.leading = false;
        }
    }
}

async fn run_batch(db: &DatabaseConnection, batch: Vec<Ticket>) {
    let result = crate::db::write(db, async |tx| apply(tx, &batch).await).await;
    match result {
        Ok(outcomes) => {
            for (ticket, outcome) in batch.into_iter().zip(outcomes) {
                let _ = ticket.reply.send(Ok(outcome));
            }
        }
        Err(StoreError::Unavailable(cause)) => {
            for ticket in batch {
                let _ = ticket
                    .reply
                    .send(Err(StoreError::Unavailable(cause.clone())));
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(%error, claims = batch.len(), "a claim batch failed; each claim alone");
            for ticket in batch {
                let alone = [ticket];
                let result = crate::db::write(db, async |tx| apply(tx, &alone).await).await;
                let [ticket] = alone;
                let _ = ticket
                    .reply
                    .send(result.map(|mut o| o.pop().expect("one outcome")));
            }
        }
        Err(error) => {
            if let Some(ticket) = batch.into_iter().next() {
                let _ = ticket.reply.send(Err(error));
            }
        }
    }
}

/// The batch in one transaction: keys taken, claims decided, answers stored.
async fn apply(tx: &impl sea_orm::ConnectionTrait, batch: &[Ticket]) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
    // Keys first: taken by this batch, or answered from before.
    let mut first_with_key: HashMap<(i64, &str), usize> = HashMap::new();
    for (i, ticket) in batch.iter().enumerate() {
        let Some(keyed) = &ticket.keyed else { continue };
        let shop = ticket.attempt.shop_id;
        if let Some(&first) = first_with_key.get(&(shop, keyed.key.as_str())) {
            // The same key twice in one batch: the second is a retry of the first.
            let same =
                batch[first].keyed.as_ref().map(|k| &k.request_hash) == Some(&keyed.request_hash);
            outcomes[i] = Some(if same {
                Outcome::Replay {
                    status: 0,
                    body: String::new(),
                }
            } else {
                Outcome::KeyMismatch
            });
            continue;
        }
        first_with_key.insert((shop, keyed.key.as_str()), i);
        match idempotency::begin(
            tx,
            shop,
            &keyed.key,
            &keyed.request_hash,
            ticket.attempt.now,
        )
        .await?
        {
            idempotency::Attempt::Fresh => {}
            idempotency::Attempt::Replay { status, body } => {
                outcomes[i] = Some(Outcome::Replay { status, body })
            }
            idempotency::Attempt::Mismatch => outcomes[i] = Some(Outcome::KeyMismatch),
            idempotency::Attempt::InProgress => outcomes[i] = Some(Outcome::KeyInProgress),
        }
    }
    let to_decide: Vec<usize> = (0..batch.len())
        .filter(|&i| outcomes[i].is_none())
        .collect();
    let attempts: Vec<Attempt> = to_decide
        .iter()
        .map(|&i| batch[i].attempt.clone())
        .collect();
    let decisions = decide(tx, &attempts).await?;
    for (&i, decision) in to_decide.iter().zip(decisions) {
        if let Some(keyed) = &batch[i].keyed {
            let (status, body) = (keyed.render)(&decision);
            idempotency::finish(tx, batch[i].attempt.shop_id, &keyed.key, status, &body).await?;
        }
        outcomes[i] = Some(Outcome::Decided(decision));
    }
    // In-batch retries replay what their first request was answered.
    let mut answered: Vec<Outcome> = Vec::with_capacity(batch.len());
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let outcome = outcome.expect("every ticket answered");
        let outcome = match outcome {
            Outcome::Replay { status: 0, .. } => {
                let keyed = batch[i].keyed.as_ref().expect("a keyed ticket");
                let first = first_with_key[&(batch[i].attempt.shop_id, keyed.key.as_str())];
                match &answered[first] {
                    Outcome::Decided(decision) => {
                        let (status, body) = (keyed.render)(decision);
                        Outcome::Replay { status, body }
                    }
                    other => other.clone(),
                }
            }
            other => other,
        };
        answered.push(outcome);
    }
    Ok(answered)
}
