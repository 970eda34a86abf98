//! How many jobs may run at once on each runner, over all runs of this
//! engine: the local runner up to its concurrency (the number of CPUs by
//! default), each Kubernetes target up to its own (32 by default). More
//! builds on a cluster mean more pods, not a longer queue on the workstation.
//!
//! Slots are handed out first come, first served (so ready jobs start in
//! plan order), and the limits are read from the configuration each time a
//! slot is asked for or freed, so an edited `config.toml` takes effect for
//! the next job, and a raised limit starts waiting jobs at once
//! ([`Limits::rebalance`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// The limit of one runner key (`local`, `kubernetes:<target>`).
pub type LimitOf = Arc<dyn Fn(&str) -> usize + Send + Sync>;

/// Slots per runner key.
pub struct Limits {
    limit_of: LimitOf,
    slots: Mutex<HashMap<String, Slot>>,
}

#[derive(Default)]
struct Slot {
    running: usize,
    waiting: VecDeque<oneshot::Sender<()>>,
}

/// A place in a runner's queue, or a slot already granted.
pub struct Ticket {
    limits: Arc<Limits>,
    key: String,
    /// Set while waiting; a value arrives when the slot is handed over.
    rx: Option<oneshot::Receiver<()>>,
    /// Whether dropping the ticket must give something back.
    holds: bool,
}

impl Ticket {
    /// While the ticket still waits for its slot: how many jobs hold a slot
    /// on its runner and the runner's limit (for "2 of 2 busy"). `None` once
    /// the slot is this ticket's.
    pub fn waiting(&mut self) -> Option<(usize, usize)> {
        let rx = self.rx.as_mut()?;
        match rx.try_recv() {
            Err(oneshot::error::TryRecvError::Empty) => {
                let running = self.limits.running(&self.key);
                Some((running, (self.limits.limit_of)(&self.key).max(1)))
            }
            // Granted (or, impossibly, closed): nothing left to wait for.
            _ => {
                self.rx = None;
                None
            }
        }
    }

    /// The runner key this ticket queues on.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Waits until the slot is this ticket's.
    pub async fn wait(mut self) -> Permit {
        if let Some(rx) = self.rx.as_mut() {
            // The sender is only dropped after a send (or with `Limits`,
            // which this ticket keeps alive): an error cannot happen.
            let _ = rx.await;
        }
        self.rx = None;
        self.holds = false;
        Permit {
            limits: self.limits.clone(),
            key: std::mem::take(&mut self.key),
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.holds {
            return;
        }
        match self.rx.take() {
            // Granted at once, never used.
            None => self.limits.release(&self.key),
            // Handed over while nobody was waiting any more.
            Some(mut rx) => {
                if rx.try_recv().is_ok() {
                    self.limits.release(&self.key);
                }
            }
        }
    }
}

/// A slot held; freed when dropped.
pub struct Permit {
    limits: Arc<Limits>,
    key: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limits.release(&self.key);
    }
}

impl Limits {
    /// Limits whose values come from `limit_of(key)`.
    pub fn new(limit_of: LimitOf) -> Arc<Limits> {
        Arc::new(Limits {
            limit_of,
            slots: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot on `key`.
    pub async fn acquire(self: &Arc<Self>, key: &str) -> Permit {
        self.ticket(key).wait().await
    }

    /// Takes a place in the queue of `key` now (or the slot, when one is
    /// free), to wait for later: the scheduler takes tickets in plan order,
    /// so jobs start in plan order whatever order their tasks run in.
    /// Dropping a ticket gives up its place (and any slot just handed to it).
    pub fn ticket(self: &Arc<Self>, key: &str) -> Ticket {
        let mut slots = self.lock();
        let limit = (self.limit_of)(key).max(1);
        let slot = slots.entry(key.to_string()).or_default();
        let rx = if slot.running < limit && slot.waiting.is_empty() {
            slot.running += 1;
            None
        } else {
            let (tx, rx) = oneshot::channel();
            slot.waiting.push_back(tx);
            Some(rx)
        };
        Ticket {
            limits: self.clone(),
            key: key.to_string(),
            rx,
            holds: true,
        }
    }

    fn release(&self, key: &str) {
        let mut slots = self.lock();
        if let Some(slot) = slots.get_mut(key) {
            slot.running = slot.running.saturating_sub(1);
            let limit = (self.limit_of)(key).max(1);
            hand_out(slot, limit);
            if slot.running == 0 && slot.waiting.is_empty() {
                slots.remove(key);
            }
        }
    }

    /// Starts waiting jobs that a raised limit now lets run.
    pub fn rebalance(&self) {
        let mut slots = self.lock();
        for (key, slot) in slots.iter_mut() {
            let limit = (self.limit_of)(key).max(1);
            hand_out(slot, limit);
        }
    }

    /// Jobs holding a slot on `key` now.
    pub fn running(&self, key: &str) -> usize {
        self.lock().get(key).map_or(0, |s| s.running)
    }
}

fn hand_out(slot: &mut Slot, limit: usize) {
    while slot.running < limit {
        let Some(tx) = slot.waiting.pop_front() else { break };
        // A waiter that gave up has dropped its receiver: skip it.
        if tx.send(()).is_ok() {
            slot.running += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn slots_are_per_key_first_come_first_served_and_follow_the_limit() {
        let limit = Arc::new(AtomicUsize::new(2));
        let l = limit.clone();
        let limits = Limits::new(Arc::new(move |key: &str| {
            if key == "local" {
                l.load(Ordering::SeqCst)
            } else {
                32
            }
        }));
        let a = limits.acquire("local").await;
        let _b = limits.acquire("local").await;
        // Another key has its own slots.
        let _k = limits.acquire("kubernetes:x").await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for i in 0..3 {
            let limits = limits.clone();
            let order = order.clone();
            waiters.push(tokio::spawn(async move {
                let p = limits.acquire("local").await;
                order.lock().unwrap().push(i);
                tokio::time::sleep(Duration::from_millis(50)).await;
                drop(p);
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(limits.running("local"), 2);
        drop(a);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(*order.lock().unwrap(), [0]);
        // Raising the limit starts the others without waiting for a release.
        limit.store(10, Ordering::SeqCst);
        limits.rebalance();
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_loses_its_place_not_a_slot() {
        let limits = Limits::new(Arc::new(|_: &str| 1));
        let held = limits.acquire("local").await;
        let gave_up = tokio::time::timeout(Duration::from_millis(20), limits.acquire("local")).await;
        assert!(gave_up.is_err());
        drop(held);
        assert_eq!(limits.running("local"), 0);
        let _again = tokio::time::timeout(Duration::from_millis(200), limits.acquire("local"))
            .await
            .expect("the slot of the waiter that gave up was lost");
    }
}
