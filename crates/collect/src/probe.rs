//! Exposure probes: the soft-404 baseline, then the rule paths side by side on the site's
//! content connections, one request each, no redirect followed.
//!
//! The budget (requests per site, baseline included), the politeness limits (every request
//! goes through the fetcher's rate limiter) and the site deadline all bound the work; a
//! path left out for any of them is recorded with the reason, so the evidence says what
//! was not looked at rather than implying it was clean.

use super::http::{Presentation, SiteFetcher};
use super::timeline::{Phase, Timeline};
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use tokio::time::Instant;
use trustlabel_core::evidence::{
    ChainEnd, ExposureEvidence, FetchFailureKind, HttpResponse, NotSentReason, PROBE_EXCERPT_CAP,
    Probe, ProbeChannel, ProbeOutcome, ProbeResponse,
};
use url::Url;

/// Body bytes read per probe: enough to hash a real answer and tell it from the baseline,
/// small enough that a multi-gigabyte backup costs nothing (the connection is dropped).
const PROBE_READ_CAP: usize = 64 * 1024;

/// What to probe and how much of it.
pub(super) struct ProbePlan<'p> {
    pub base: &'p Url,
    pub channel: ProbeChannel,
    pub paths: &'p [&'p str],
    pub max_requests: usize,
}

/// The soft-404 answer every probe is judged against.
pub(super) struct Baseline {
    probe: Probe,
}

/// `None` when probing is switched off (no paths, or a budget of zero); else the
/// baseline request, which must be answered before any rule path is asked.
pub(super) async fn baseline(
    fetcher: &mut SiteFetcher<'_>,
    plan: &ProbePlan<'_>,
    deadline: Instant,
) -> Option<Baseline> {
    if plan.paths.is_empty() || plan.max_requests == 0 {
        return None;
    }
    let how = probe_presentation(fetcher);
    let baseline_path = format!("/trustlabel-not-found-{:016x}", rand::random::<u64>());
    let probe = send(fetcher, plan.base, &baseline_path, &how, None, deadline).await;
    Some(Baseline { probe })
}

fn probe_presentation<'a>(fetcher: &SiteFetcher<'a>) -> Presentation<'a> {
    Presentation {
        body_cap: PROBE_READ_CAP,
        ..fetcher.presentation()
    }
}

/// [`probe_paths`] over `lanes`, timed as the exposure probes, once a baseline tells a
/// file from a soft 404; nothing is asked without one.
pub(super) async fn probe_paths_with_baseline(
    lanes: Vec<&mut SiteFetcher<'_>>,
    plan: &ProbePlan<'_>,
    baseline: Option<Baseline>,
    deadline: Instant,
    timeline: &Timeline,
) -> Option<ExposureEvidence> {
    let baseline = baseline?;
    let probes = Box::pin(probe_paths(lanes, plan, baseline, deadline));
    Some(timeline.time(Phase::ExposureProbes, probes).await)
}

/// The rule paths after the baseline, over every connection in `lanes` at once (each
/// takes the next path when its previous answer is in, so a connection still being
/// opened takes fewer). The budget cuts the same paths as one after another would: the
/// last ones in rule order. After a timeout no lane sends another path.
pub(super) async fn probe_paths(
    lanes: Vec<&mut SiteFetcher<'_>>,
    plan: &ProbePlan<'_>,
    baseline: Baseline,
    deadline: Instant,
) -> ExposureEvidence {
    let baseline = baseline.probe;
    let catch_all_sha = baseline
        .response()
        .filter(|r| r.status == 200)
        .map(|r| r.sha256.clone());
    let shared = Shared {
        progress: Mutex::new(Progress {
            stop: baseline
                .response()
                .is_none()
                .then_some(NotSentReason::BaselineFailed),
            next: 0,
            results: vec![None; plan.paths.len()],
        }),
        // The baseline is one request of the budget.
        sendable: plan.max_requests.saturating_sub(1),
        catch_all_sha: catch_all_sha.as_deref(),
        deadline,
    };
    let all = lanes
        .into_iter()
        .map(|fetcher| Box::pin(lane(fetcher, plan, &shared)));
    futures::future::join_all(all).await;
    let results = shared
        .progress
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .results;
    let probes = results
        .into_iter()
        .zip(plan.paths)
        .map(|(probe, path)| {
            // Only with no lane at all is a path left unvisited.
            probe.unwrap_or_else(|| Probe {
                path: path.to_string(),
                outcome: ProbeOutcome::NotSent {
                    reason: NotSentReason::Budget,
                },
            })
        })
        .collect();
    ExposureEvidence {
        base_url: plan.base.to_string(),
        channel: plan.channel,
        baseline,
        probes,
        max_requests: plan.max_requests,
    }
}

/// What the lanes of one site's probes share.
struct Shared<'s> {
    progress: Mutex<Progress>,
    /// Paths before this index may be sent; the rest are over the budget.
    sendable: usize,
    catch_all_sha: Option<&'s str>,
    deadline: Instant,
}

struct Progress {
    stop: Option<NotSentReason>,
    /// The next path (by index) no lane has taken yet.
    next: usize,
    results: Vec<Option<Probe>>,
}

impl Shared<'_> {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One connection's share: takes the next path until none is left.
async fn lane(fetcher: &mut SiteFetcher<'_>, plan: &ProbePlan<'_>, shared: &Shared<'_>) {
    let how = probe_presentation(fetcher);
    loop {
        let (index, stop) = {
            let mut progress = shared.progress();
            let index = progress.next;
            if index >= plan.paths.len() {
                return;
            }
            progress.next += 1;
            if index >= shared.sendable {
                progress.stop = progress.stop.or(Some(NotSentReason::Budget));
            }
            (index, progress.stop)
        };
        let path = plan.paths[index];
        let probe = match stop {
            Some(reason) => Probe {
                path: path.to_string(),
                outcome: ProbeOutcome::NotSent { reason },
            },
            None => {
                let catch_all = shared.catch_all_sha;
                send(fetcher, plan.base, path, &how, catch_all, shared.deadline).await
            }
        };
        let stopping = match &probe.outcome {
            ProbeOutcome::Failed {
                kind: FetchFailureKind::Timeout,
                ..
            } => Some(NotSentReason::Unresponsive),
            ProbeOutcome::NotSent { reason } => Some(*reason),
            _ => None,
        };
        let mut progress = shared.progress();
        progress.stop = progress.stop.or(stopping);
        progress.results[index] = Some(probe);
    }
}

async fn send(
    fetcher: &mut SiteFetcher<'_>,
    base: &Url,
    path: &str,
    how: &Presentation<'_>,
    catch_all_sha: Option<&str>,
    deadline: Instant,
) -> Probe {
    let outcome = if Instant::now() >= deadline {
        ProbeOutcome::NotSent {
            reason: NotSentReason::Deadline,
        }
    } else {
        match base.join(path) {
            Err(e) => ProbeOutcome::Failed {
                kind: FetchFailureKind::Protocol,
                message: format!("cannot form a URL from `{path}`: {e}"),
            },
            Ok(url) => {
                match tokio::time::timeout_at(deadline, fetcher.fetch_one(&url, how)).await {
                    Err(_) => ProbeOutcome::Failed {
                        kind: FetchFailureKind::Timeout,
                        message: "the site deadline passed before an answer".into(),
                    },
                    Ok(Ok(response)) => ProbeOutcome::Answered(summarise(&response, catch_all_sha)),
                    Ok(Err(ChainEnd::Failed { kind, message })) => {
                        ProbeOutcome::Failed { kind, message }
                    }
                    Ok(Err(other)) => ProbeOutcome::Failed {
                        kind: FetchFailureKind::Connect,
                        message: format!("{other:?}"),
                    },
                }
            }
        }
    };
    Probe {
        path: path.to_string(),
        outcome,
    }
}

/// The facts of one answer; the excerpt only where a proof could hold (a `200` that is
/// not the site's catch-all answer).
fn summarise(response: &HttpResponse, catch_all_sha: Option<&str>) -> ProbeResponse {
    let bytes = &response.body.bytes;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let keep = response.status == 200 && catch_all_sha != Some(sha256.as_str());
    let excerpt = if keep {
        bytes[..bytes.len().min(PROBE_EXCERPT_CAP)].to_vec()
    } else {
        Vec::new()
    };
    let redirect = (300..400).contains(&response.status);
    ProbeResponse {
        status: response.status,
        content_type: response.header("content-type").map(str::to_string),
        location: response
            .header("location")
            .filter(|_| redirect)
            .map(str::to_string),
        content_length: response
            .header("content-length")
            .and_then(|v| v.trim().parse().ok()),
        received: bytes.len() as u64,
        truncated: response.body.truncated || response.body.timed_out,
        sha256,
        excerpt,
    }
}
