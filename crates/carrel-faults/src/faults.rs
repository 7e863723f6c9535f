//! The shared fault settings, what each new connection gets, and what happened to each one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::http::{ResponseRewrite, RewriteAction};
use crate::rng::SplitMix64;

/// One direction of a proxied connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Bytes the client sends: requests and their bodies.
    ClientToUpstream,
    /// Bytes the upstream sends back: responses and their bodies.
    UpstreamToClient,
}

/// A delay added to every chunk of bytes, in each direction separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Every chunk is held at least this long after it was read.
    pub delay: Duration,
    /// Plus a uniform random extra in `[0, jitter]` per chunk (seeded per connection, so the same
    /// on every run). Chunks never overtake each other.
    pub jitter: Duration,
}

/// When a [`ResetRule`] fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// On the first new connection after the rule is set, then never again.
    Once,
    /// On the k-th, 2k-th, … new connection after the rule is set (k = 1: every connection).
    EveryNth(u64),
    /// On each new connection with probability `p`, drawn from a generator seeded with `seed`,
    /// so a test sees the same pattern on every run.
    Probability {
        /// Chance in `[0, 1]`.
        p: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

/// A standing rule: connections it fires on are reset after so many bytes in one direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResetRule {
    /// The stream that is counted and cut.
    pub direction: Direction,
    /// How many bytes of that stream are forwarded before both sides get a TCP RST.
    pub after_bytes: u64,
    /// Which new connections the rule fires on.
    pub when: Trigger,
}

/// What one scripted connection gets (see [`Faults::next_connections`]). A scripted connection gets
/// exactly this and none of the standing settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Forwarded untouched.
    None,
    /// Forwarded with this latency.
    Latency(Latency),
    /// Forwarded at most this many bytes per second in each direction.
    Bandwidth(u64),
    /// Forwarded until `bytes` bytes went through in `direction`, then reset on both sides.
    ResetAfter {
        /// The stream that is counted and cut.
        direction: Direction,
        /// How many bytes of it are forwarded before the reset.
        bytes: u64,
    },
    /// Read from and never answered, not even closed; nothing reaches the upstream.
    Blackhole,
    /// Reset as soon as it is accepted.
    Refuse,
}

/// How the proxy handled one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// Bytes copied to and from the upstream (possibly delayed, capped or reset).
    Forwarded,
    /// Served at the HTTP level because a [`ResponseRewrite`] was installed.
    Http,
    /// Read and discarded; never forwarded, answered or closed.
    Blackholed,
    /// Reset on accept.
    Refused,
}

/// What happened to one accepted connection, for assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// Accept order, from 0.
    pub id: u64,
    /// How it was handled.
    pub kind: ConnectionKind,
    /// Bytes written to the upstream (forwarded connections only).
    pub to_upstream: u64,
    /// Bytes written to the client (forwarded connections only).
    pub to_client: u64,
    /// Bytes read from the client and thrown away (blackholed connections).
    pub discarded: u64,
    /// HTTP requests received (HTTP connections only).
    pub requests: u64,
    /// Whether the proxy cut it with a reset rule or script entry (not whether a peer did).
    pub reset: bool,
    /// Whether the proxy is done with it (both sides closed or reset; a blackholed connection only
    /// when the client resets it).
    pub finished: bool,
}

/// The live fault settings of one [`FaultProxy`](crate::FaultProxy); cheap to clone, all clones
/// share the settings. Changes apply to connections accepted afterwards.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    latency: Option<Latency>,
    bandwidth: Option<u64>,
    reset: Option<ResetState>,
    blackhole: bool,
    refuse: bool,
    script: VecDeque<Fault>,
    rewrites: Vec<RewriteState>,
    rewrites_applied: u64,
    connections: Vec<Arc<ConnectionCounters>>,
}

#[derive(Debug)]
struct ResetState {
    rule: ResetRule,
    seen: u64,
    rng: SplitMix64,
}

#[derive(Debug)]
struct RewriteState {
    rule: ResponseRewrite,
    matched: u64,
}

/// What one new connection gets, fixed at accept.
#[derive(Debug)]
pub(crate) enum Plan {
    Refuse,
    Blackhole,
    Forward(Shaping),
    Http,
}

/// The byte-level faults of one forwarded connection.
#[derive(Debug, Default)]
pub(crate) struct Shaping {
    pub(crate) latency: Option<Latency>,
    pub(crate) bandwidth: Option<u64>,
    pub(crate) reset: Option<(Direction, u64)>,
    /// Seeds the jitter of this connection.
    pub(crate) seed: u64,
}

/// The live counters behind one [`ConnectionRecord`].
#[derive(Debug)]
pub(crate) struct ConnectionCounters {
    id: u64,
    kind: ConnectionKind,
    pub(crate) to_upstream: AtomicU64,
    pub(crate) to_client: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) reset: AtomicBool,
    finished: AtomicBool,
}

impl ConnectionCounters {
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }

    fn record(&self) -> ConnectionRecord {
        ConnectionRecord {
            id: self.id,
            kind: self.kind,
            to_upstream: self.to_upstream.load(Ordering::SeqCst),
            to_client: self.to_client.load(Ordering::SeqCst),
            discarded: self.discarded.load(Ordering::SeqCst),
            requests: self.requests.load(Ordering::SeqCst),
            reset: self.reset.load(Ordering::SeqCst),
            finished: self.finished.load(Ordering::SeqCst),
        }
    }
}

/// Seeds per-connection jitter; fixed so runs repeat.
const JITTER_SEED: u64 = 0x00C0_FFEE;

impl Faults {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind, still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets (or with `None` clears) the latency of new forwarded connections.
    pub fn set_latency(&self, latency: Option<Latency>) {
        self.state().latency = latency;
    }

    /// Caps (or with `None` uncaps) new forwarded connections at `bytes_per_sec` in each direction,
    /// with a token bucket per connection and direction holding 50 ms worth of bytes.
    pub fn set_bandwidth(&self, bytes_per_sec: Option<u64>) {
        self.state().bandwidth = bytes_per_sec;
    }

    /// Sets (or with `None` clears) the reset rule; its connection count starts from zero.
    pub fn set_reset(&self, rule: Option<ResetRule>) {
        let seed = match rule.map(|rule| rule.when) {
            Some(Trigger::Probability { seed, .. }) => seed,
            _ => 0,
        };
        self.state().reset = rule.map(|rule| ResetState {
            rule,
            seen: 0,
            rng: SplitMix64::new(seed),
        });
    }

    /// Blackholes (or stops blackholing) new connections.
    pub fn set_blackhole(&self, on: bool) {
        self.state().blackhole = on;
    }

    /// Refuses (or stops refusing) new connections.
    pub fn set_refuse(&self, on: bool) {
        self.state().refuse = on;
    }

    /// Appends to the script: the next connections get these faults, one each in order, instead of
    /// the standing settings; once the script runs out, the standing settings apply again.
    pub fn next_connections(&self, faults: Vec<Fault>) {
        self.state().script.extend(faults);
    }

    /// Installs a response rewrite. While any is installed, new connections that the script,
    /// refuse or blackhole do not claim are served at the HTTP level (and get no byte faults).
    pub fn add_rewrite(&self, rewrite: ResponseRewrite) {
        self.state().rewrites.push(RewriteState {
            rule: rewrite,
            matched: 0,
        });
    }

    /// Clears every setting, the script and the rewrites. The records and counts stay.
    pub fn reset_all(&self) {
        let mut state = self.state();
        state.latency = None;
        state.bandwidth = None;
        state.reset = None;
        state.blackhole = false;
        state.refuse = false;
        state.script.clear();
        state.rewrites.clear();
    }

    /// What happened to every connection accepted so far, in accept order.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        self.state()
            .connections
            .iter()
            .map(|counters| counters.record())
            .collect()
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> u64 {
        self.state().connections.len() as u64
    }

    /// How many responses were rewritten (replaced, dropped or withheld) so far.
    pub fn rewrites_applied(&self) -> u64 {
        self.state().rewrites_applied
    }

    /// Decides what a just-accepted connection gets and registers its counters.
    pub(crate) fn plan_connection(&self) -> (Plan, Arc<ConnectionCounters>) {
        let mut state = self.state();
        let id = state.connections.len() as u64;
        let plan = if let Some(fault) = state.script.pop_front() {
            let seed = JITTER_SEED ^ id;
            let forward = |shaping: Shaping| Plan::Forward(Shaping { seed, ..shaping });
            match fault {
                Fault::None => forward(Shaping::default()),
                Fault::Latency(latency) => forward(Shaping {
                    latency: Some(latency),
                    ..Shaping::default()
                }),
                Fault::Bandwidth(rate) => forward(Shaping {
                    bandwidth: Some(rate),
                    ..Shaping::default()
                }),
                Fault::ResetAfter { direction, bytes } => forward(Shaping {
                    reset: Some((direction, bytes)),
                    ..Shaping::default()
                }),
                Fault::Blackhole => Plan::Blackhole,
                Fault::Refuse => Plan::Refuse,
            }
        } else if state.refuse {
            Plan::Refuse
        } else if state.blackhole {
            Plan::Blackhole
        } else if !state.rewrites.is_empty() {
            Plan::Http
        } else {
            Plan::Forward(Shaping {
                latency: state.latency,
                bandwidth: state.bandwidth,
                reset: state.reset.as_mut().and_then(ResetState::fire),
                seed: JITTER_SEED ^ id,
            })
        };
        let kind = match plan {
            Plan::Refuse => ConnectionKind::Refused,
            Plan::Blackhole => ConnectionKind::Blackholed,
            Plan::Forward(_) => ConnectionKind::Forwarded,
            Plan::Http => ConnectionKind::Http,
        };
        let counters = Arc::new(ConnectionCounters {
            id,
            kind,
            to_upstream: AtomicU64::new(0),
            to_client: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            reset: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        });
        state.connections.push(Arc::clone(&counters));
        (plan, counters)
    }

    /// Counts a request to `path` against every installed rewrite; returns the action of the
    /// first rule for which this is its `nth` match.
    pub(crate) fn match_rewrite(&self, path: &str) -> Option<RewriteAction> {
        let mut state = self.state();
        let mut action = None;
        for rewrite in &mut state.rewrites {
            if path.starts_with(&rewrite.rule.path_prefix) {
                rewrite.matched += 1;
                if action.is_none() && rewrite.matched == rewrite.rule.nth {
                    action = Some(rewrite.rule.action.clone());
                }
            }
        }
        if action.is_some() {
            state.rewrites_applied += 1;
        }
        action
    }
}

impl ResetState {
    /// Counts one more connection against the rule; returns the cut if it fires on it.
    fn fire(&mut self) -> Option<(Direction, u64)> {
        self.seen += 1;
        let fires = match self.rule.when {
            Trigger::Once => self.seen == 1,
            Trigger::EveryNth(k) => k > 0 && self.seen.is_multiple_of(k),
            Trigger::Probability { p, .. } => self.rng.next_f64() < p,
        };
        fires.then_some((self.rule.direction, self.rule.after_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(when: Trigger) -> ResetRule {
        ResetRule {
            direction: Direction::UpstreamToClient,
            after_bytes: 10,
            when,
        }
    }

    fn fired(faults: &Faults, connections: usize) -> Vec<bool> {
        (0..connections)
            .map(|_| match faults.plan_connection().0 {
                Plan::Forward(shaping) => shaping.reset.is_some(),
                other => panic!("no other fault is set, got {other:?}"),
            })
            .collect()
    }

    #[test]
    fn once_fires_on_the_first_connection_only() {
        let faults = Faults::default();
        faults.set_reset(Some(rule(Trigger::Once)));
        assert_eq!(fired(&faults, 3), [true, false, false]);
    }

    #[test]
    fn every_nth_fires_on_multiples_of_k() {
        let faults = Faults::default();
        faults.set_reset(Some(rule(Trigger::EveryNth(3))));
        assert_eq!(fired(&faults, 6), [false, false, true, false, false, true]);
    }

    #[test]
    fn probability_repeats_with_the_same_seed() {
        let pattern = |seed| {
            let faults = Faults::default();
            faults.set_reset(Some(rule(Trigger::Probability { p: 0.5, seed })));
            fired(&faults, 64)
        };
        assert_eq!(pattern(42), pattern(42), "a seed fixes the pattern");
        let hits = pattern(42).iter().filter(|&&hit| hit).count();
        assert!(
            (1..64).contains(&hits),
            "p = 0.5 should hit some, not all: {hits}"
        );
    }

    #[test]
    fn the_script_comes_before_standing_settings_then_gives_way() {
        let faults = Faults::default();
        faults.set_blackhole(true);
        faults.next_connections(vec![Fault::None, Fault::Refuse]);
        let kinds: Vec<_> = (0..3)
            .map(|_| faults.plan_connection().1.record().kind)
            .collect();
        assert_eq!(
            kinds,
            [
                ConnectionKind::Forwarded,
                ConnectionKind::Refused,
                ConnectionKind::Blackholed
            ]
        );
    }
}
