//! [`Pending`]: the requests of one connection waiting for their responses, and the bounded
//! memory of keys already answered or timed out that tells a duplicate or a late response from
//! one that matches nothing.

use std::collections::{HashMap, VecDeque};

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::link::error::LinkError;
use crate::link::key::{KeyHasher, MatchKey};
use crate::message::{Message, Mti};

/// What a waiting request receives.
pub(crate) type Answer = Result<Message, LinkError>;

/// One waiting request.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) tx: oneshot::Sender<Answer>,
    pub(crate) request: Mti,
    pub(crate) sent: Instant,
    /// When the request times out.
    pub(crate) deadline: Instant,
}

/// The last `cap` keys of a kind, oldest first. Recording is a move into a ring (no hashing
/// per request); looking up walks the ring, which happens only for messages that matched no
/// pending request (bounded by `cap` comparisons each).
#[derive(Debug)]
struct Recent {
    ring: VecDeque<MatchKey>,
    cap: usize,
}

impl Recent {
    fn new(cap: usize) -> Recent {
        Recent {
            // Grows with use: a server connection that never sends a request keeps none.
            ring: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    fn insert(&mut self, key: MatchKey) {
        if self.ring.len() >= self.cap {
            self.ring.pop_front();
        }
        self.ring.push_back(key);
    }

    fn contains(&self, key: &MatchKey) -> bool {
        self.ring.iter().rev().any(|k| k == key)
    }
}

/// How an inbound response relates to the pending requests.
#[derive(Debug)]
pub(crate) enum Matched {
    /// It answers this waiting request.
    Waiter(Waiter),
    /// Its request timed out before it came.
    Late,
    /// Its request was answered already.
    Duplicate,
    /// No request of this connection (that is remembered) has its key.
    Unmatched,
}

/// The pending requests of one connection.
#[derive(Debug)]
pub(crate) struct Pending {
    live: HashMap<MatchKey, Waiter, KeyHasher>,
    answered: Recent,
    expired: Recent,
    closed: bool,
}

impl Pending {
    pub(crate) fn new(remember: usize) -> Pending {
        Pending {
            live: HashMap::with_capacity_and_hasher(256, KeyHasher::new()),
            answered: Recent::new(remember),
            expired: Recent::new(remember),
            closed: false,
        }
    }

    /// Registers a request; fails when the key is pending already or the connection is closed.
    pub(crate) fn insert(&mut self, key: MatchKey, waiter: Waiter) -> Result<(), LinkError> {
        if self.closed {
            return Err(LinkError::ConnectionLost {
                mti: waiter.request,
            });
        }
        match self.live.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => Err(LinkError::DuplicateKey),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(waiter);
                Ok(())
            }
        }
    }

    /// Classifies a received response by its key and takes its waiter.
    pub(crate) fn on_response(&mut self, key: MatchKey) -> Matched {
        if let Some(w) = self.live.remove(&key) {
            self.answered.insert(key);
            Matched::Waiter(w)
        } else if self.expired.contains(&key) {
            Matched::Late
        } else if self.answered.contains(&key) {
            Matched::Duplicate
        } else {
            Matched::Unmatched
        }
    }

    /// Takes the waiter a reject names: the first whose key equals `key_of(response MTI)`
    /// without its MTI (rejects are rare; this walks the pending requests).
    pub(crate) fn on_reject(
        &mut self,
        mut key_of: impl FnMut(Mti) -> MatchKey,
    ) -> Option<(MatchKey, Waiter)> {
        let found = self.live.keys().find(|k| {
            let Some(mti) = k.mti() else { return false };
            key_of(mti).without_mti() == k.without_mti()
        })?;
        let found = found.clone();
        let w = self.live.remove(&found)?;
        self.answered.insert(found.clone());
        Some((found, w))
    }

    /// Removes the requests whose deadline is `now` or earlier (remembering their keys, to
    /// recognise their late answers).
    pub(crate) fn expire_due(&mut self, now: Instant) -> Vec<Waiter> {
        let due: Vec<MatchKey> = self
            .live
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::with_capacity(due.len());
        for key in due {
            if let Some(w) = self.live.remove(&key) {
                out.push(w);
                self.expired.insert(key);
            }
        }
        out
    }

    /// Removes a request whose caller gave up (dropped its future) without a timeout.
    pub(crate) fn forget(&mut self, key: &MatchKey) -> Option<Waiter> {
        self.live.remove(key)
    }

    /// Closes the map: every waiting request is returned (to be failed), later inserts fail.
    pub(crate) fn close(&mut self) -> Vec<Waiter> {
        self.closed = true;
        self.live.drain().map(|(_, w)| w).collect()
    }

    /// Requests waiting now.
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(s: &[u8]) -> MatchKey {
        MatchKey::from_bytes(s.to_vec())
    }

    fn waiter() -> (Waiter, oneshot::Receiver<Answer>) {
        let (tx, rx) = oneshot::channel();
        let w = Waiter {
            tx,
            request: Mti::from_digits(*b"0200").unwrap(),
            sent: Instant::now(),
            deadline: Instant::now() + std::time::Duration::from_secs(1),
        };
        (w, rx)
    }

    #[test]
    fn tells_late_duplicate_and_unmatched_apart() {
        let mut p = Pending::new(2);
        let (a, _ra) = waiter();
        let (b, _rb) = waiter();
        p.insert(key(b"0210A"), a).unwrap();
        p.insert(key(b"0210B"), b).unwrap();
        let (c, _rc) = waiter();
        assert!(matches!(
            p.insert(key(b"0210A"), c),
            Err(LinkError::DuplicateKey)
        ));
        assert!(matches!(p.on_response(key(b"0210A")), Matched::Waiter(_)));
        assert!(matches!(p.on_response(key(b"0210A")), Matched::Duplicate));
        let later = Instant::now() + std::time::Duration::from_secs(2);
        assert_eq!(p.expire_due(later).len(), 1);
        assert!(matches!(p.on_response(key(b"0210B")), Matched::Late));
        assert!(matches!(p.on_response(key(b"0210C")), Matched::Unmatched));
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn memory_is_bounded_and_forgets_the_oldest() {
        let mut p = Pending::new(2);
        for i in 0..10u8 {
            let (w, _r) = waiter();
            p.insert(key(&[b'0', b'2', b'1', b'0', i]), w).unwrap();
            assert!(matches!(
                p.on_response(key(&[b'0', b'2', b'1', b'0', i])),
                Matched::Waiter(_)
            ));
        }
        assert_eq!(p.answered.ring.len(), 2);
        assert!(matches!(
            p.on_response(key(&[b'0', b'2', b'1', b'0', 0])),
            Matched::Unmatched
        ));
        assert!(matches!(
            p.on_response(key(&[b'0', b'2', b'1', b'0', 9])),
            Matched::Duplicate
        ));
    }

    #[test]
    fn close_returns_every_waiter_and_refuses_more() {
        let mut p = Pending::new(4);
        let (a, _ra) = waiter();
        p.insert(key(b"0210A"), a).unwrap();
        assert_eq!(p.close().len(), 1);
        let (b, _rb) = waiter();
        assert!(matches!(
            p.insert(key(b"0210B"), b),
            Err(LinkError::ConnectionLost { .. })
        ));
    }
}

/// The per-request matching work, exposed for `benches/link.rs`: key the request, register
/// it, key the response, find the waiter and hand it the response.
#[doc(hidden)]
#[derive(Debug)]
pub struct MatchBench {
    pending: Pending,
}

impl Default for MatchBench {
    fn default() -> Self {
        MatchBench {
            pending: Pending::new(4096),
        }
    }
}

impl MatchBench {
    /// One request/response round; `true` when the response reached its waiter.
    pub fn round(
        &mut self,
        rules: &crate::link::key::KeyRules,
        request: &Message,
        response: &Message,
    ) -> bool {
        let Some(key) = rules.request_key(request) else {
            return false;
        };
        let (tx, mut rx) = oneshot::channel();
        let now = Instant::now();
        let waiter = Waiter {
            tx,
            request: request.mti(),
            sent: now,
            deadline: now,
        };
        if self.pending.insert(key, waiter).is_err() {
            return false;
        }
        match self.pending.on_response(rules.response_key(response)) {
            Matched::Waiter(w) => {
                let _ = w.tx.send(Ok(response.clone()));
                rx.try_recv().is_ok()
            }
            _ => false,
        }
    }
}
