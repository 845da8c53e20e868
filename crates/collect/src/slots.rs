//! A time-bounded cache of "fetch once, share with everyone" slots.
//!
//! Many sites of one scan point at the same CA files (a CRL per issuer) or at the same
//! certificate (one wildcard certificate for many subdomains), so a download is shared:
//! concurrent scans wait on one slot instead of each fetching. Entries expire after a
//! fixed time, so a long-running worker notices a CA's new answer, and their number is
//! capped, so a scan of tens of thousands of sites cannot grow memory without bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

pub type Slot<V> = Arc<OnceCell<V>>;

pub struct TimedSlots<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, Slot<V>)>>,
}

impl<K: Eq + Hash + Clone, V> TimedSlots<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TimedSlots {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The slot for `key`, created empty if absent or expired.
    pub fn slot(&self, key: &K) -> Slot<V> {
        self.slot_at(key, Instant::now())
    }

    /// [`TimedSlots::slot`] as seen at `now` (tests pass their own clock).
    fn slot_at(&self, key: &K, now: Instant) -> Slot<V> {
        let mut entries = match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((at, slot)) = entries.get(key) {
            if now.duration_since(*at) < self.ttl {
                return slot.clone();
            }
        }
        if entries.len() >= self.capacity {
            // Sweeping costs a pass over every entry, so it happens only when the map is
            // full (the DNS cache holds tens of thousands of answers): expired entries
            // go first, then, if all are live, the oldest tenth (a refetch is the cost).
            entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if entries.len() >= self.capacity {
                let mut ages: Vec<(Instant, K)> = entries
                    .iter()
                    .map(|(k, (at, _))| (*at, k.clone()))
                    .collect();
                ages.sort_by_key(|(at, _)| *at);
                let drop = (self.capacity / 10).max(1);
                for (_, key) in ages.into_iter().take(drop) {
                    entries.remove(&key);
                }
            }
        }
        let slot: Slot<V> = Arc::new(OnceCell::new());
        entries.insert(key.clone(), (now, slot.clone()));
        slot
    }

    /// The value for `key` computed once for the run: later callers share it, unless
    /// the computation ended past `deadline` (a site's deadline cut it short), in which
    /// case it is this caller's alone and the next one tries again.
    pub async fn once_before<F, Fut>(&self, key: &K, deadline: tokio::time::Instant, make: F) -> V
    where
        V: Clone,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = V>,
    {
        let slot = self.slot(key);
        if let Some(done) = slot.get() {
            return done.clone();
        }
        let result = slot
            .get_or_try_init(|| async {
                let value = make().await;
                if tokio::time::Instant::now() >= deadline {
                    Err(value)
                } else {
                    Ok(value)
                }
            })
            .await;
        match result {
            Ok(value) => value.clone(),
            Err(value) => value,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_shares_one_slot_until_it_expires() {
        // An explicit clock: how fast the machine runs the test cannot matter.
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let slots: TimedSlots<&str, u32> = TimedSlots::new(Duration::from_millis(50), 10);
        let a = slots.slot_at(&"a", at(0));
        assert!(a.set(1).is_ok());
        assert_eq!(slots.slot_at(&"a", at(49)).get(), Some(&1));
        assert_eq!(slots.slot_at(&"b", at(49)).get(), None);
        assert_eq!(
            slots.slot_at(&"a", at(50)).get(),
            None,
            "expired entries are refetched"
        );
    }

    #[test]
    fn the_number_of_entries_is_capped() {
        let slots: TimedSlots<u32, u32> = TimedSlots::new(Duration::from_secs(60), 3);
        for key in 0..10 {
            let _ = slots.slot(&key).set(key);
        }
        assert!(slots.len() <= 3, "{}", slots.len());
        assert_eq!(slots.slot(&9).get(), Some(&9), "the newest entries stay");
    }
}
