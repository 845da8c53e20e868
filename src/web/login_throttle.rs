//! Sign-in throttling that slows password guessing without letting anyone lock staff out.
//!
//! Only *failed* attempts are charged, and a spent budget is checked before the password
//! (so a throttled guess costs no Argon2 work and reveals nothing). Four budgets, each a
//! bucket that refills at a steady rate:
//!
//! - per client address (an IPv6 client by its /64, which one subscriber usually holds):
//!   guessing from one place is slow, whatever the account;
//! - per account *and* address: five wrong passwords for `lan` slow down that address
//!   for `lan`, never another address;
//! - per account, for browsers without a device cookie: a guesser spread over many
//!   addresses is slowed for that account;
//! - per device cookie: a browser where the account signed in before carries a signed
//!   cookie naming the account; it is exempt from the account-wide budget (so a
//!   distributed guesser cannot lock the account's own staff out) and has a small budget
//!   of its own instead. This is OWASP's "device cookie" defence.
//!
//! State is in memory and bounded: a bucket that has refilled is forgotten on `shrink`,
//! and the table holds at most [`MAX_BUCKETS`] entries (the fullest are evicted first).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest user name the throttle (and the audit log) keeps; longer names are cut.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Upper bound on remembered buckets, whatever an attacker sends.
pub const MAX_BUCKETS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Failures allowed at once.
    burst: f64,
    /// One failure is forgiven per this period.
    refill: Duration,
}

const PER_ADDRESS: Budget = Budget {
    burst: 10.0,
    refill: Duration::from_secs(60),
};
const PER_ACCOUNT_AND_ADDRESS: Budget = Budget {
    burst: 5.0,
    refill: Duration::from_secs(60),
};
const PER_ACCOUNT_UNTRUSTED: Budget = Budget {
    burst: 20.0,
    refill: Duration::from_secs(180),
};
const PER_DEVICE: Budget = Budget {
    burst: 5.0,
    refill: Duration::from_secs(60),
};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    AccountAddress(String, IpAddr),
    Account(String),
    Device(String),
}

impl Key {
    fn budget(&self) -> Budget {
        match self {
            Key::Address(_) => PER_ADDRESS,
            Key::AccountAddress(..) => PER_ACCOUNT_AND_ADDRESS,
            Key::Account(_) => PER_ACCOUNT_UNTRUSTED,
            Key::Device(_) => PER_DEVICE,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures still allowed (fractional while refilling).
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refilled(self, budget: Budget, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let tokens = (self.tokens + elapsed / budget.refill.as_secs_f64()).min(budget.burst);
        Bucket { tokens, at: now }
    }

    /// How long until one more failure is allowed (zero when it already is).
    fn wait(self, budget: Budget) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            budget.refill.mul_f64(1.0 - self.tokens)
        }
    }
}

/// Who is trying to sign in, as far as the throttle cares.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub ip: IpAddr,
    pub username: &'a str,
    /// The nonce of a valid device cookie for this very account, if the browser sent one.
    pub device: Option<&'a str>,
}

impl Attempt<'_> {
    fn keys(&self) -> Vec<Key> {
        let ip = address_key(self.ip);
        let account = account_key(self.username);
        let mut keys = vec![Key::Address(ip), Key::AccountAddress(account.clone(), ip)];
        match self.device {
            Some(nonce) => keys.push(Key::Device(nonce.to_string())),
            None => keys.push(Key::Account(account)),
        }
        keys
    }
}

/// The canonical account key: case-insensitive and bounded in length.
pub fn account_key(username: &str) -> String {
    username
        .trim()
        .chars()
        .take(MAX_USERNAME_CHARS)
        .collect::<String>()
        .to_lowercase()
}

/// IPv6 clients are keyed by their /64: one subscriber holds a whole /64, so keying by
/// the full address would give an attacker 2^64 budgets.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::V6(octets.into())
        }
    }
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    buckets: Mutex<HashMap<Key, Bucket>>,
}

impl LoginThrottle {
    pub fn new() -> LoginThrottle {
        LoginThrottle::default()
    }

    /// `Err(wait)` when one of the attempt's budgets is spent; charges nothing.
    pub fn check(&self, attempt: &Attempt<'_>, now: Instant) -> Result<(), Duration> {
        let buckets = self.lock();
        let wait = attempt
            .keys()
            .iter()
            .filter_map(|key| {
                let bucket = buckets.get(key)?.refilled(key.budget(), now);
                Some(bucket.wait(key.budget()))
            })
            .max()
            .unwrap_or(Duration::ZERO);
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Charges one failed attempt to each of its budgets.
    pub fn failed(&self, attempt: &Attempt<'_>, now: Instant) {
        let mut buckets = self.lock();
        for key in attempt.keys() {
            let budget = key.budget();
            if !buckets.contains_key(&key) && buckets.len() >= MAX_BUCKETS {
                evict_fullest(&mut buckets, now);
            }
            let bucket = buckets
                .get(&key)
                .map(|b| b.refilled(budget, now))
                .unwrap_or(Bucket {
                    tokens: budget.burst,
                    at: now,
                });
            buckets.insert(
                key,
                Bucket {
                    tokens: (bucket.tokens - 1.0).max(0.0),
                    at: now,
                },
            );
        }
    }

    /// Forgets buckets that have refilled completely, so memory follows recent failures.
    pub fn shrink(&self, now: Instant) {
        self.lock().retain(|key, bucket| {
            let budget = key.budget();
            bucket.refilled(budget, now).tokens < budget.burst
        });
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Bucket>> {
        // A panic while holding the lock leaves plain numbers behind; keep using them.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Makes room by dropping the tenth of the table closest to full (least recent harm).
fn evict_fullest(buckets: &mut HashMap<Key, Bucket>, now: Instant) {
    let mut fullness: Vec<(f64, Key)> = buckets
        .iter()
        .map(|(k, b)| {
            let budget = k.budget();
            (b.refilled(budget, now).tokens / budget.burst, k.clone())
        })
        .collect();
    fullness.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, key) in fullness.into_iter().take(MAX_BUCKETS / 10 + 1) {
        buckets.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn attempt<'a>(ip: [u8; 4], username: &'a str, device: Option<&'a str>) -> Attempt<'a> {
        Attempt {
            ip: IpAddr::V4(Ipv4Addr::from(ip)),
            username,
            device,
        }
    }

    /// Tries `n` wrong passwords the way the handler does: check, then charge.
    fn fail(t: &LoginThrottle, a: &Attempt<'_>, n: usize, now: Instant) -> usize {
        (0..n)
            .filter(|_| {
                let allowed = t.check(a, now).is_ok();
                if allowed {
                    t.failed(a, now);
                }
                allowed
            })
            .count()
    }

    #[test]
    fn wrong_passwords_slow_that_address_for_that_account_only() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let from_a = attempt([203, 0, 113, 1], "Lan", None);
        assert_eq!(fail(&t, &from_a, 8, now), 5);
        assert!(t.check(&from_a, now).is_err(), "that address waits for lan");
        assert!(
            t.check(&attempt([198, 51, 100, 7], "lan", None), now)
                .is_ok(),
            "another address may still sign in as lan"
        );
        assert!(
            t.check(&attempt([203, 0, 113, 1], "minh", None), now)
                .is_ok(),
            "the same address may still sign in as someone else"
        );
    }

    #[test]
    fn checking_costs_nothing_so_successes_and_polling_never_lock() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let a = attempt([203, 0, 113, 1], "lan", None);
        for _ in 0..1000 {
            assert!(t.check(&a, now).is_ok());
        }
        assert!(t.is_empty());
    }

    #[test]
    fn spent_budgets_refill_with_time() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let a = attempt([203, 0, 113, 1], "lan", None);
        fail(&t, &a, 5, now);
        let wait = t.check(&a, now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(t.check(&a, now + Duration::from_secs(61)).is_ok());
        t.shrink(now + Duration::from_secs(3600));
        assert!(t.is_empty(), "refilled buckets are forgotten");
    }

    #[test]
    fn one_address_guessing_many_accounts_is_slowed() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let names: Vec<String> = (0..20).map(|i| format!("user{i}")).collect();
        let allowed = names
            .iter()
            .filter(|n| fail(&t, &attempt([203, 0, 113, 1], n, None), 1, now) == 1)
            .count();
        assert_eq!(allowed, 10);
    }

    #[test]
    fn a_guesser_on_many_addresses_is_slowed_but_known_devices_still_sign_in() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let mut allowed = 0;
        for i in 0..50u8 {
            allowed += fail(&t, &attempt([198, 51, 100, i], "lan", None), 1, now);
        }
        assert_eq!(
            allowed, 20,
            "the account-wide budget of browsers without a cookie"
        );
        assert!(t.check(&attempt([192, 0, 2, 9], "lan", None), now).is_err());
        let with_cookie = attempt([192, 0, 2, 9], "lan", Some("0123abcd"));
        assert!(
            t.check(&with_cookie, now).is_ok(),
            "a browser where lan signed in before is not locked out"
        );
        assert_eq!(
            fail(&t, &with_cookie, 10, now),
            5,
            "and has a budget of its own"
        );
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let mut allowed = 0;
        for i in 0..30u16 {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i));
            let name = format!("user{i}");
            allowed += fail(
                &t,
                &Attempt {
                    ip,
                    username: &name,
                    device: None,
                },
                1,
                now,
            );
        }
        assert_eq!(allowed, 10);
    }

    #[test]
    fn memory_is_bounded_whatever_is_sent() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for i in 0..(MAX_BUCKETS as u32 / 3 + 10) {
            let ip = IpAddr::V4(Ipv4Addr::from(i.to_be_bytes()));
            t.failed(
                &Attempt {
                    ip,
                    username: "x",
                    device: None,
                },
                now,
            );
        }
        assert!(t.len() <= MAX_BUCKETS);
    }

    #[test]
    fn account_keys_ignore_case_and_are_bounded() {
        assert_eq!(account_key(" LAN "), "lan");
        assert_eq!(account_key(&"a".repeat(10_000)).len(), MAX_USERNAME_CHARS);
    }
}
