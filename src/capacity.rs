//! How many sites a scan keeps in flight by default: as many as the process's file
//! descriptors and a memory budget allow, not a fixed count. A site on the internet
//! spends almost all of its scan waiting for answers, so a fixed count tuned for loopback
//! (where the CPU is the limit) leaves the machine idle; what must stay bounded is what
//! each waiting site holds, its sockets and its buffers.

use std::io;

/// The most sockets one site scan holds open at once: six legacy hellos each with a
/// connection opened ahead (12), six content connections, the plain-http chain, the
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
