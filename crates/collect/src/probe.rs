//! Exposure probes: the soft-404 baseline, then each rule path, over the site's content
//! channel, one request each, no redirect followed.
//!
//! The budget (requests per site, baseline included), the politeness limits (every request
//! goes through the fetcher's rate limiter) and the site deadline all bound the work; a
//! path left out for any of them is recorded with the reason, so the evidence says what
//! was not looked at rather than implying it was clean.

use super::http::{Presentation, SiteFetcher};
use sha2::{Digest, Sha256};
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

/// `None` when probing is switched off (no paths, or a budget of zero).
pub(super) async fn probe_site(
    fetcher: &mut SiteFetcher<'_>,
    plan: &ProbePlan<'_>,
    deadline: Instant,
) -> Option<ExposureEvidence> {
    if plan.paths.is_empty() || plan.max_requests == 0 {
        return None;
    }
    let how = Presentation {
        body_cap: PROBE_READ_CAP,
        ..fetcher.presentation()
    };
    let baseline_path = format!("/trustlabel-not-found-{:016x}", rand::random::<u64>());
    let baseline = send(fetcher, plan.base, &baseline_path, &how, None, deadline).await;
    let catch_all_sha = baseline
        .response()
        .filter(|r| r.status == 200)
        .map(|r| r.sha256.clone());
    let mut stop = baseline
        .response()
        .is_none()
        .then_some(NotSentReason::BaselineFailed);
    let mut sent = 1;
    let mut probes = Vec::with_capacity(plan.paths.len());
    for path in plan.paths {
        if sent >= plan.max_requests {
            stop = stop.or(Some(NotSentReason::Budget));
        }
        let probe = match stop {
            Some(reason) => Probe {
                path: path.to_string(),
                outcome: ProbeOutcome::NotSent { reason },
            },
            None => {
                sent += 1;
                let catch_all = catch_all_sha.as_deref();
                send(fetcher, plan.base, path, &how, catch_all, deadline).await
            }
        };
        stop = stop.or(match &probe.outcome {
            ProbeOutcome::Failed {
                kind: FetchFailureKind::Timeout,
                ..
            } => Some(NotSentReason::Unresponsive),
            ProbeOutcome::NotSent { reason } => Some(*reason),
            _ => None,
        });
        probes.push(probe);
    }
    Some(ExposureEvidence {
        base_url: plan.base.to_string(),
        channel: plan.channel,
        baseline,
        probes,
        max_requests: plan.max_requests,
    })
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
