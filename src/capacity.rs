//! How many sites a scan keeps in flight by default: as many as the process's file
//! descriptors and a memory budget allow, not a fixed count. A site on the internet
//! spends almost all of its scan waiting for answers, so a fixed count tuned for loopback
//! (where the CPU is the limit) leaves the machine idle; what must stay bounded is what
//! each waiting site holds, its sockets and its buffers.

use std::io;
use std::time::Duration;
use tokio::time::Instant;

/// The most sockets one site scan holds open at once: six legacy hellos each with a
/// connection opened ahead (12), four content connections, the plain-http chain, the
/// IPv6 fetch, the DNS questions, up to four SMTP conversations, and the CA's OCSP,
/// AIA and CRL servers, rounded up.
pub const SOCKETS_PER_SITE: usize = 32;
/// Descriptors kept for everything else: the database, listeners, log files, stdio.
pub const RESERVED_DESCRIPTORS: usize = 128;
/// What one site in flight is budgeted in memory: a home page at the body cap (2 MiB)
/// is the exception, most sites hold far less (the latency benchmark measures it).
pub const MEMORY_PER_SITE: u64 = 2 * 1024 * 1024;
/// The memory all sites in flight may use together, at most: the process also judges,
/// stores and publishes.
pub const MEMORY_BUDGET: u64 = 1024 * 1024 * 1024;

/// The resources a scan may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Open files allowed to this process (the soft `RLIMIT_NOFILE`).
    pub descriptors: usize,
    /// Memory the sites in flight may use.
    pub memory: u64,
}

impl Capacity {
    /// Raises this process's soft descriptor limit to its hard limit (sockets are the
    /// resource a latency-bound scan needs most, and the soft limit is often a tenth of
    /// what the system allows), then measures what there is.
    pub fn of_this_process() -> Capacity {
        Capacity {
            descriptors: raise_descriptor_limit().unwrap_or(1024),
            memory: MEMORY_BUDGET.min(available_memory().unwrap_or(MEMORY_BUDGET) / 2),
        }
    }

    /// Sites in flight so that their sockets fit in the descriptors and their memory in
    /// the budget; at least one.
    pub fn sites(&self) -> usize {
        let by_descriptors =
            self.descriptors.saturating_sub(RESERVED_DESCRIPTORS) / SOCKETS_PER_SITE;
        let by_memory = usize::try_from(self.memory / MEMORY_PER_SITE).unwrap_or(usize::MAX);
        by_descriptors.min(by_memory).max(1)
    }

    /// `explicit` (`--concurrency`, `[scan] concurrency`) caps the sites in flight; the
    /// descriptors and memory bound them in any case.
    pub fn sites_capped(&self, explicit: Option<usize>) -> usize {
        explicit.map_or(self.sites(), |n| n.min(self.sites()).max(1))
    }
}

/// Sites in flight when a run starts: what a CPU-bound run does best on the 2-core
/// machine (1,000 loopback sites: 286 sites/s at 64 in flight, 153 at 512, where the
/// extra sites only queue for the CPU and lengthen every site's scan).
pub const STARTING_SITES: usize = 64;
/// How often [`Admission`] looks at the process.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// How late a timer of the scan's runtime may fire while its tasks still find a core
/// at once: later, sites are queueing for the CPU, not waiting on the network.
const TIMELY: Duration = Duration::from_millis(5);
/// The share of the machine's cores this process may use and still count as waiting on
/// the network; the rest is left for its peers (the database, a fleet, other builds).
const WAITING_SHARE: f64 = 0.5;
/// From this share of the cores (or four times [`TIMELY`]) the process is CPU-bound and
/// sites in flight go back towards [`STARTING_SITES`].
const CPU_BOUND_SHARE: f64 = 0.85;

/// How many sites a run admits at a time: starts at [`STARTING_SITES`] and grows by
/// half while the process is waiting on the network (its timers on time and under half
/// the cores busy), shrinks by a quarter back towards the start when it is CPU-bound;
/// never above `cap` (the descriptors and memory, or `--concurrency`). A latency-bound
/// list so fills the pipe, a CPU-bound one keeps the count that does not queue.
pub struct Admission {
    cap: usize,
    limit: usize,
    peak: usize,
    next_sample: Instant,
    cpu_at_last: Duration,
    last_sample: Instant,
    cores: f64,
}

impl Admission {
    pub fn new(cap: usize) -> Admission {
        let cap = cap.max(1);
        let now = Instant::now();
        let limit = STARTING_SITES.min(cap);
        Admission {
            cap,
            limit,
            peak: limit,
            next_sample: now + SAMPLE_EVERY,
            cpu_at_last: process_cpu(),
            last_sample: now,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
        }
    }

    /// Sites that may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The highest limit of the run so far.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Waits for the next sample time, then adjusts the limit. Cancel-safe: dropped
    /// before its time, it has changed nothing.
    pub async fn sample(&mut self) {
        tokio::time::sleep_until(self.next_sample).await;
        let now = Instant::now();
        let lag = now.saturating_duration_since(self.next_sample);
        let cpu = process_cpu();
        let wall = now.duration_since(self.last_sample).as_secs_f64().max(1e-3);
        let share = cpu.saturating_sub(self.cpu_at_last).as_secs_f64() / wall / self.cores;
        self.limit = next_limit(self.limit, self.cap, lag, share);
        self.peak = self.peak.max(self.limit);
        self.cpu_at_last = cpu;
        self.last_sample = now;
        self.next_sample = now + SAMPLE_EVERY;
    }
}

/// The rule of [`Admission`], apart from the clock: `lag`, how late the sample fired;
/// `share`, the share of the cores the process used since the last sample.
fn next_limit(limit: usize, cap: usize, lag: Duration, share: f64) -> usize {
    if lag <= TIMELY && share < WAITING_SHARE {
        (limit + limit.div_ceil(2)).min(cap)
    } else if lag > 4 * TIMELY || share >= CPU_BOUND_SHARE {
        (limit - limit / 4).max(STARTING_SITES.min(cap)).min(cap)
    } else {
        limit
    }
}

/// User and system CPU time of this process so far.
fn process_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes the struct it is given; RUSAGE_SELF is a valid target.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return Duration::ZERO;
    }
    // SAFETY: zeroed is a valid rusage, and getrusage filled it.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The soft `RLIMIT_NOFILE` after raising it to the hard limit.
fn raise_descriptor_limit() -> io::Result<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given; RLIMIT_NOFILE is a valid resource.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads the struct it is given; raising the soft limit up to
        // the hard one needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    Ok(usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

/// `MemAvailable` of `/proc/meminfo`, in bytes (Linux).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_follow_the_scarcer_resource() {
        let gib = 1024 * 1024 * 1024;
        // A common soft limit: 1024 descriptors hold (1024 - 128) / 32 = 28 sites.
        let small = Capacity {
            descriptors: 1024,
            memory: gib,
        };
        assert_eq!(small.sites(), 28);
        // Plenty of descriptors: the memory budget decides (1 GiB / 2 MiB).
        let large = Capacity {
            descriptors: 1 << 20,
            memory: gib,
        };
        assert_eq!(large.sites(), 512);
        // Nothing to spare still scans, one site at a time.
        let starved = Capacity {
            descriptors: 64,
            memory: 0,
        };
        assert_eq!(starved.sites(), 1);
    }

    #[test]
    fn admission_grows_while_waiting_and_falls_back_when_cpu_bound() {
        let (on_time, late) = (Duration::from_millis(1), Duration::from_millis(40));
        // Waiting on the network: half as many again, up to the cap.
        assert_eq!(next_limit(64, 512, on_time, 0.1), 96);
        assert_eq!(next_limit(400, 512, on_time, 0.1), 512);
        // Busy but not saturated: hold.
        assert_eq!(next_limit(96, 512, on_time, 0.6), 96);
        // CPU-bound or late timers: back towards the start, never below it.
        assert_eq!(next_limit(256, 512, on_time, 0.9), 192);
        assert_eq!(next_limit(70, 512, late, 0.1), 64);
        // A cap below the start is the limit throughout.
        assert_eq!(next_limit(8, 8, on_time, 0.0), 8);
        assert_eq!(next_limit(8, 8, late, 1.0), 8);
    }

    #[test]
    fn an_explicit_concurrency_caps_but_never_lifts_the_bound() {
        let capacity = Capacity {
            descriptors: 1024,
            memory: 1 << 30,
        };
        assert_eq!(capacity.sites_capped(Some(8)), 8);
        assert_eq!(capacity.sites_capped(Some(10_000)), 28);
        assert_eq!(capacity.sites_capped(None), 28);
    }
}
