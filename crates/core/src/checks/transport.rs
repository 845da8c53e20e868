//! `tls.none`, `http.*` and what the rustls handshake alone tells about protocols.

use super::reachability::Reach;
use crate::evidence::{ChainEnd, Evidence, FetchChain, TlsProbe};
use crate::finding::{Finding, FindingId, Severity};
use crate::rules::url_host;

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let reach = Reach::of(evidence);
    if !reach.https_answered && !reach.http_answered {
        return; // site.* says it all
    }
    match &evidence.tls {
        Some(TlsProbe::ConnectFailed { message, .. }) if reach.http_answered => {
            out.push(Finding::new(
                FindingId::TlsNone,
                Severity::Critical,
                format!("no HTTPS service: {message}"),
            ));
        }
        Some(TlsProbe::HandshakeFailed {
            message,
            chain,
            timed_out: false,
        }) if chain.is_empty() && reach.http_answered => {
            out.push(Finding::new(
                FindingId::TlsNone,
                Severity::Critical,
                format!("the HTTPS port does not complete a TLS handshake: {message}"),
            ));
        }
        Some(TlsProbe::Established(session))
            if session.version == "TLSv1.2" && !super::legacy_tls::decides_tls13(evidence) =>
        {
            out.push(Finding::new(
                FindingId::TlsProtoNoTls13,
                Severity::Info,
                "the server chose TLS 1.2 although TLS 1.3 was offered",
            ));
        }
        _ => {}
    }
    if let Some(chain) = &evidence.http {
        plain_chain(chain, evidence, out);
    }
    if let Some(chain) = &evidence.https {
        redirect_faults(chain, "https", out);
    }
}

fn plain_chain(chain: &FetchChain, evidence: &Evidence, out: &mut Vec<Finding>) {
    let first = chain.hops.first().and_then(|h| h.response.as_ref());
    match &chain.end {
        ChainEnd::UpgradedToHttps { location } => {
            // Browsers only learn HSTS over https, so the first hop must already go there,
            // and to the same host: HSTS is learnt per host (RFC 6797 §8.1), so a bare
            // domain that sends http visitors straight to https://www. never has its
            // own HSTS learnt, and every later visit typed as the bare name starts in
            // clear text (the Observatory's "initial redirection to a different host").
            let from = chain.hops.first().and_then(|h| url_host(&h.url));
            let to = url_host(location);
            if chain.hops.len() == 1
                && let (Some(from), Some(to)) = (from, to)
                && from != to
            {
                out.push(Finding::new(
                    FindingId::HttpRedirectOffHost,
                    Severity::Low,
                    format!(
                        "http://{from}/ redirects straight to {location}, another host: \
                         browsers never visit https://{from}/, so they never learn its HSTS \
                         (redirect to https://{from}/ first)"
                    ),
                ));
            }
            if chain.hops.len() > 1 {
                out.push(Finding::new(
                    FindingId::HttpNoHttpsRedirect,
                    Severity::Low,
                    format!(
                        "http:// reaches https ({location}) only after {} plain-HTTP redirects",
                        chain.hops.len() - 1
                    ),
                ));
            }
        }
        ChainEnd::Final => {
            let status = first.map(|r| r.status).unwrap_or_default();
            out.push(Finding::new(
                FindingId::HttpNoHttpsRedirect,
                Severity::High,
                format!(
                    "http://{}/ answers {status} over plain HTTP instead of redirecting to https",
                    evidence.host
                ),
            ));
        }
        ChainEnd::Failed { .. } | ChainEnd::AddressRefused { .. } if first.is_none() => {
            // No plain-HTTP service at all: nothing to redirect (as the Observatory judges).
        }
        _ => redirect_faults(chain, "http", out),
    }
}

fn redirect_faults(chain: &FetchChain, scheme: &str, out: &mut Vec<Finding>) {
    match &chain.end {
        ChainEnd::Offsite { location } => out.push(Finding::new(
            FindingId::HttpRedirectOffsite,
            Severity::Medium,
            format!("the {scheme}:// home page redirects to another site: {location}"),
        )),
        ChainEnd::Loop { url } => out.push(Finding::new(
            FindingId::HttpRedirectLoop,
            Severity::High,
            format!("the {scheme}:// redirects loop back to {url}"),
        )),
        ChainEnd::TooManyRedirects { limit } => out.push(Finding::new(
            FindingId::HttpRedirectLoop,
            Severity::High,
            format!("the {scheme}:// home page redirects more than {limit} times"),
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{
        chain, evidence_with_chains, final_chain, response, response_with_status,
    };

    fn run(evidence: &Evidence) -> Vec<(FindingId, Severity)> {
        let mut out = Vec::new();
        check(evidence, &mut out);
        out.iter().map(|f| (f.id, f.severity)).collect()
    }

    fn redirect(to: &str) -> crate::evidence::HttpResponse {
        response_with_status(301, &[("location", to)])
    }

    fn upgraded(responses: Vec<crate::evidence::HttpResponse>) -> FetchChain {
        chain(
            "http",
            responses,
            ChainEnd::UpgradedToHttps {
                location: "https://example.test/".into(),
            },
        )
    }

    #[test]
    fn an_immediate_redirect_to_https_is_clean() {
        let e = evidence_with_chains(
            Some(upgraded(vec![redirect("https://example.test/")])),
            Some(final_chain("https", vec![response(&[])])),
        );
        assert_eq!(run(&e), vec![]);
    }

    fn upgraded_to(location: &str) -> FetchChain {
        let mut chain = upgraded(vec![redirect(location)]);
        chain.hops[0].url = "http://example.test/".into();
        chain.end = ChainEnd::UpgradedToHttps {
            location: location.into(),
        };
        chain
    }

    #[test]
    fn a_first_hop_to_another_host_is_off_host_and_the_same_host_is_not() {
        // RFC 6797 §8.1: HSTS is noted for the host that sent it, so example.test only
        // gets HSTS if http://example.test/ sends visitors to https://example.test/.
        let https = || Some(final_chain("https", vec![response(&[])]));
        let e = evidence_with_chains(Some(upgraded_to("https://www.example.test/")), https());
        assert_eq!(
            run(&e),
            vec![(FindingId::HttpRedirectOffHost, Severity::Low)]
        );
        let e = evidence_with_chains(Some(upgraded_to("https://example.test/home")), https());
        assert_eq!(run(&e), vec![]);
        let e = evidence_with_chains(Some(upgraded_to("https://EXAMPLE.test:443/")), https());
        assert_eq!(run(&e), vec![]);
    }

    #[test]
    fn content_over_http_is_no_https_redirect() {
        let e = evidence_with_chains(
            Some(final_chain("http", vec![response(&[])])),
            Some(final_chain("https", vec![response(&[])])),
        );
        assert_eq!(
            run(&e),
            vec![(FindingId::HttpNoHttpsRedirect, Severity::High)]
        );
    }

    #[test]
    fn reaching_https_late_is_a_low_finding() {
        let e = evidence_with_chains(
            Some(upgraded(vec![
                redirect("http://www.example.test/"),
                redirect("https://www.example.test/"),
            ])),
            Some(final_chain("https", vec![response(&[])])),
        );
        assert_eq!(
            run(&e),
            vec![(FindingId::HttpNoHttpsRedirect, Severity::Low)]
        );
    }

    #[test]
    fn no_plain_http_service_needs_no_redirect() {
        let http = chain(
            "http",
            vec![],
            ChainEnd::Failed {
                kind: crate::evidence::FetchFailureKind::Connect,
                message: "refused".into(),
            },
        );
        let e = evidence_with_chains(Some(http), Some(final_chain("https", vec![response(&[])])));
        assert_eq!(run(&e), vec![]);
    }

    #[test]
    fn loops_and_offsite_redirects() {
        let looping = chain(
            "https",
            vec![redirect("/a"), redirect("/")],
            ChainEnd::Loop {
                url: "https://example.test/".into(),
            },
        );
        let e = evidence_with_chains(
            Some(upgraded(vec![redirect("https://example.test/")])),
            Some(looping),
        );
        assert_eq!(run(&e), vec![(FindingId::HttpRedirectLoop, Severity::High)]);
        let too_many = chain(
            "https",
            vec![redirect("/x")],
            ChainEnd::TooManyRedirects { limit: 10 },
        );
        let e = evidence_with_chains(None, Some(too_many));
        assert_eq!(run(&e), vec![(FindingId::HttpRedirectLoop, Severity::High)]);
        let offsite = chain(
            "https",
            vec![redirect("https://elsewhere.test/")],
            ChainEnd::Offsite {
                location: "https://elsewhere.test/".into(),
            },
        );
        let e = evidence_with_chains(None, Some(offsite));
        assert_eq!(
            run(&e),
            vec![(FindingId::HttpRedirectOffsite, Severity::Medium)]
        );
    }

    #[test]
    fn no_tls_port_with_working_http_is_tls_none() {
        let mut e = evidence_with_chains(Some(final_chain("http", vec![response(&[])])), None);
        e.tls = Some(TlsProbe::ConnectFailed {
            kind: crate::evidence::ConnectFailureKind::Refused,
            message: "connection refused".into(),
        });
        let ids: Vec<FindingId> = run(&e).into_iter().map(|(id, _)| id).collect();
        assert_eq!(
            ids,
            vec![FindingId::TlsNone, FindingId::HttpNoHttpsRedirect]
        );
    }
}
