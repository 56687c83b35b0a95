//! Settings of a link: what every connection shares ([`LinkConfig`]), what a client adds
//! ([`ClientConfig`]) and what a server adds ([`ServerConfig`]).

use std::time::Duration;

use crate::framing::FrameConfig;
use crate::link::key::KeyRules;
use crate::message::{Message, Mti};
use crate::spec::Spec;

/// What marks an inbound message as the peer's reject of one of our requests.
///
/// A reject names the rejected request by the fields of the request's key rule (DE 41 and
/// DE 11 by default), whatever its own MTI; the waiting caller gets
/// [`LinkError::Rejected`](crate::link::LinkError::Rejected) at once instead of a timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectRule {
    /// MTIs that are rejects (for example 0620 on links whose peers answer an unprocessable
    /// request with an administrative advice naming it).
    pub mtis: Vec<Mti>,
    /// A reject code in the header: any message whose header bytes at `offset..offset + len`
    /// are not `accept` is a reject (the code travels in the error).
    pub header_code: Option<HeaderCode>,
}

/// A code carried in the message header (see [`RejectRule::header_code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCode {
    /// Byte offset of the code inside the header.
    pub offset: usize,
    /// The value that means "not rejected"; the code's length is this value's length.
    pub accept: Vec<u8>,
}

impl Default for RejectRule {
    /// 0620 is a reject; no header code.
    fn default() -> Self {
        RejectRule {
            mtis: Mti::from_digits(*b"0620").into_iter().collect(),
            header_code: None,
        }
    }
}

impl RejectRule {
    /// The reject code of `msg` (DE 39 of a reject MTI, or the header code), or `None` when
    /// `msg` is not a reject.
    pub fn code_of(&self, msg: &Message) -> Option<String> {
        if self.mtis.contains(&msg.mti()) {
            let code = msg
                .field(39)
                .and_then(|f| f.to_small())
                .map(|s| s.as_str().to_owned());
            return Some(code.unwrap_or_default());
        }
        let hc = self.header_code.as_ref()?;
        let header = msg.view().header();
        let got = header.get(hc.offset..hc.offset + hc.accept.len())?;
        (got != hc.accept.as_slice()).then(|| hex_upper(got))
    }
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// What a connection does with a frame that is well framed but does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnUndecodable {
    /// Report it to the handler's `error` and keep the connection (framing is intact).
    #[default]
    Report,
    /// Report it and close the connection.
    Close,
}

/// Settings every connection of a link uses, client or server side.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LinkConfig {
    /// The spec messages are decoded with.
    pub spec: Spec,
    /// How frames are delimited.
    pub framing: FrameConfig,
    /// Which response answers which request.
    pub keys: KeyRules,
    /// What is a reject.
    pub rejects: RejectRule,
    /// Time a request waits for its response.
    pub request_timeout: Duration,
    /// How often each connection looks for requests past their deadline: a request times
    /// out between its timeout and its timeout plus this tick (one sweep per tick instead of
    /// a timer per request).
    pub timeout_tick: Duration,
    /// Answer a peer's 0800 echo test (DE 70 `301`) with 0810 `00` without bothering the
    /// handler.
    pub auto_echo: bool,
    /// Undecodable frames: report, or report and close.
    pub on_undecodable: OnUndecodable,
    /// How many keys of answered and of timed-out requests each connection remembers, to
    /// tell a duplicate or a late response from one that matches nothing (memory stays
    /// bounded at about twice this many keys of each kind).
    pub remember: usize,
    /// The reader lets the connection's writer run after this many messages decoded from one
    /// read, so the answers so far leave while the rest are decoded and a peer working on
    /// another core (or machine) starts on them at once. Lower means more, smaller writes;
    /// when both ends share one thread (a test, a simulator) nothing runs in parallel and a
    /// value at least the number of requests in flight (one write per read) is fastest.
    /// Default 16: the best of those measured with `examples/loadgen` (64 in flight, ends on
    /// two threads; the README's load-generator section gives the figures).
    pub hand_over_every: u32,
}

impl LinkConfig {
    /// Defaults: key DE 41 + DE 11, 0620 rejects, 30 s request timeout checked every 5 ms,
    /// echo answered, undecodable frames reported, 4096 keys remembered, the writer given its
    /// turn every 16 messages of a read.
    pub fn new(spec: Spec, framing: FrameConfig) -> LinkConfig {
        LinkConfig {
            spec,
            framing,
            keys: KeyRules::default(),
            rejects: RejectRule::default(),
            request_timeout: Duration::from_secs(30),
            timeout_tick: Duration::from_millis(5),
            auto_echo: true,
            on_undecodable: OnUndecodable::Report,
            remember: 4096,
            hand_over_every: 16,
        }
    }

    /// With `timeout` as the request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> LinkConfig {
        self.request_timeout = timeout;
        self
    }

    /// With `keys` as the key rules.
    pub fn with_keys(mut self, keys: KeyRules) -> LinkConfig {
        self.keys = keys;
        self
    }

    /// With `rejects` as the reject rule.
    pub fn with_rejects(mut self, rejects: RejectRule) -> LinkConfig {
        self.rejects = rejects;
        self
    }

    /// With echo auto-reply on or off.
    pub fn with_auto_echo(mut self, on: bool) -> LinkConfig {
        self.auto_echo = on;
        self
    }

    /// With the reader handing over to the writer every `n` messages of one read (at least
    /// 1; see [`hand_over_every`](Self::hand_over_every)).
    pub fn with_hand_over_every(mut self, n: u32) -> LinkConfig {
        self.hand_over_every = n.max(1);
        self
    }

    /// With the undecodable-frame policy.
    pub fn with_on_undecodable(mut self, policy: OnUndecodable) -> LinkConfig {
        self.on_undecodable = policy;
        self
    }
}

/// What `send` does when `max_in_flight` requests are pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenFull {
    /// Wait for a slot (backpressure).
    #[default]
    Wait,
    /// Fail at once with [`LinkError::Busy`](crate::link::LinkError::Busy).
    FailFast,
}

/// Reconnection delays: exponential from `initial` to `max`, each reduced by a random part of
/// up to `jitter` (0.0-1.0) so that many clients do not come back in step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// First delay.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Growth per failed attempt.
    pub factor: f64,
    /// Fraction of each delay that is random.
    pub jitter: f64,
}

impl Default for Backoff {
    /// 100 ms doubling to 10 s, 20% jitter.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(10),
            factor: 2.0,
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (0 is the first retry), with `random` in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exp = self.factor.max(1.0).powi(attempt.min(64) as i32);
        let base = (self.initial.as_secs_f64() * exp).min(self.max.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::from_secs_f64(base * (1.0 - jitter))
    }
}

/// Settings of a [`Client`](crate::link::Client).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// What every connection uses.
    pub link: LinkConfig,
    /// Time a connection attempt may take.
    pub connect_timeout: Duration,
    /// Reconnect after the connection is lost (`None`: the client stays down).
    pub reconnect: Option<Backoff>,
    /// Requests pending at most at once.
    pub max_in_flight: usize,
    /// Wait or fail fast when `max_in_flight` are pending.
    pub when_full: WhenFull,
    /// Send an echo after this long without traffic; an echo unanswered within
    /// `echo_timeout` closes the connection (and the client reconnects).
    pub idle_echo: Option<Duration>,
    /// How long a keep-alive echo waits for its answer.
    pub echo_timeout: Duration,
    /// How long `send` waits for a link that is (re)connecting or signing on before failing
    /// with [`LinkError::Down`](crate::link::LinkError::Down).
    pub wait_for_link: Duration,
    /// TLS on every connection (`None`: plain TCP); the handshake counts in
    /// `connect_timeout`.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub tls: Option<crate::link::ClientTls>,
}

impl ClientConfig {
    /// Defaults: 5 s connect timeout, reconnect with [`Backoff::default`], 256 in flight
    /// (waiting when full), no keep-alive, 10 s echo timeout, 5 s wait for the link.
    pub fn new(link: LinkConfig) -> ClientConfig {
        ClientConfig {
            link,
            connect_timeout: Duration::from_secs(5),
            reconnect: Some(Backoff::default()),
            max_in_flight: 256,
            when_full: WhenFull::Wait,
            idle_echo: None,
            echo_timeout: Duration::from_secs(10),
            wait_for_link: Duration::from_secs(5),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// With the in-flight cap and what to do at it.
    pub fn with_max_in_flight(mut self, max: usize, when_full: WhenFull) -> ClientConfig {
        self.max_in_flight = max.max(1);
        self.when_full = when_full;
        self
    }

    /// With reconnection (`None`: none).
    pub fn with_reconnect(mut self, backoff: Option<Backoff>) -> ClientConfig {
        self.reconnect = backoff;
        self
    }

    /// With an idle keep-alive echo after `idle`, answered within `timeout`.
    pub fn with_idle_echo(mut self, idle: Duration, timeout: Duration) -> ClientConfig {
        self.idle_echo = Some(idle);
        self.echo_timeout = timeout;
        self
    }

    /// With the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.connect_timeout = timeout;
        self
    }

    /// Over TLS: every (re)connection runs a handshake with `tls` before signing on.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn with_tls(mut self, tls: crate::link::ClientTls) -> ClientConfig {
        self.tls = Some(tls);
        self
    }
}

/// Settings of a [`Server`](crate::link::Server).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// What every accepted connection uses.
    pub link: LinkConfig,
    /// Connections served at most at once; one more is accepted and closed at once. Under
    /// TLS a peer takes its slot when accepted, before its handshake.
    pub max_connections: usize,
    /// TLS on every accepted connection (`None`: plain TCP).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub tls: Option<crate::link::ServerTls>,
}

impl ServerConfig {
    /// Defaults: 1024 connections.
    pub fn new(link: LinkConfig) -> ServerConfig {
        ServerConfig {
            link,
            max_connections: 1024,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// With the connection cap.
    pub fn with_max_connections(mut self, max: usize) -> ServerConfig {
        self.max_connections = max;
        self
    }

    /// Over TLS: every accepted peer's handshake runs with `tls` (within its handshake
    /// timeout) before the connection is served.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn with_tls(mut self, tls: crate::link::ServerTls) -> ServerConfig {
        self.tls = Some(tls);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_jitter_only_shortens() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(100));
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(800));
        assert_eq!(b.delay(30, 0.0), Duration::from_secs(10));
        let j = b.delay(3, 0.5);
        assert!(j < Duration::from_millis(800) && j >= Duration::from_millis(719));
    }
}
