//! Mail evidence of a registrable domain: MX (validated when the zone is signed, for
//! DANE), the SPF records reachable through `include:` and `redirect=` (bounded), DMARC,
//! MTA-STS (the TXT record and the HTTPS policy file), TLS-RPT, and one SMTP
//! conversation per MX (shared by every site of the run that names the same MX).

use crate::Collector;
use crate::domain::{Asker, addresses, failure, mta_sts_url};
use crate::http::{Pins, SiteFetcher};
use crate::smtp;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use tokio::time::Instant;
use trustlabel_core::dns::dnssec::{Outcome, SetCheck};
use trustlabel_core::dns::tlsa::tlsa_text;
use trustlabel_core::dns::{Name, RData, RType, Rcode};
use trustlabel_core::evidence::mail::{
    MailEvidence, MtaStsEvidence, MxLookup, MxRecord, MxServer, PolicyFetch, SmtpOutcome,
    SpfEvidence, TlsaEvidence, TxtLookup,
};
use trustlabel_core::mail::spf::{self, Fetched};
use trustlabel_core::mail::{dmarc, mta_sts, tlsrpt, txt_text};

/// SPF records fetched at most while following `include:` and `redirect=`: beyond ten
/// lookups the record is a permanent error anyway.
pub const MAX_SPF_RECORDS: usize = 12;

/// The result of probing one MX host, shared by the sites that name it.
#[derive(Debug, Clone)]
pub(crate) struct MxProbe {
    pub addresses: Vec<IpAddr>,
    pub smtp: SmtpOutcome,
}

impl Collector {
    pub(crate) async fn mail_side(&self, asker: &Asker<'_>, domain: &Name) -> MailEvidence {
        let host = domain.to_host();
        let (mx, spf, dmarc, mta_sts_txt, tlsrpt) = tokio::join!(
            self.mx(asker, domain),
            self.spf(asker, &host),
            self.txt(asker, domain, "_dmarc", dmarc::is_dmarc),
            self.txt(asker, domain, "_mta-sts", mta_sts::is_sts_record),
            self.txt(asker, domain, "_smtp._tls", tlsrpt::is_tlsrpt),
        );
        let receives = !mx.records.is_empty() && !mx.is_null();
        let policy = if receives && !mta_sts_txt.records.is_empty() {
            Some(self.mta_sts_policy(&host, asker.deadline).await)
        } else {
            None
        };
        let servers = if receives {
            self.mx_servers(asker, &mx).await
        } else {
            Vec::new()
        };
        MailEvidence {
            domain: host,
            mx,
            spf,
            dmarc,
            mta_sts: MtaStsEvidence {
                txt: mta_sts_txt,
                policy,
            },
            tlsrpt,
            servers,
            smtp_connections: 0,
        }
    }

    async fn mx(&self, asker: &Asker<'_>, domain: &Name) -> MxLookup {
        let answer = asker.ask(domain, RType::MX).await;
        if let Some(why) = failure(&answer) {
            return MxLookup {
                failure: Some(why),
                ..MxLookup::default()
            };
        }
        let Ok(message) = answer else {
            return MxLookup::default();
        };
        let mut records: Vec<MxRecord> = message
            .answers
            .iter()
            .filter_map(|r| match &r.rdata {
                RData::Mx {
                    preference,
                    exchange,
                } if r.name == *domain => Some(MxRecord {
                    preference: *preference,
                    exchange: if exchange.is_root() {
                        ".".to_string()
                    } else {
                        exchange.to_host()
                    },
                }),
                _ => None,
            })
            .collect();
        records.sort_by(|a, b| {
            a.preference
                .cmp(&b.preference)
                .then(a.exchange.cmp(&b.exchange))
        });
        records.dedup();
        let secure = !records.is_empty() && asker.secure_set(domain, RType::MX, &message).await;
        MxLookup {
            records,
            failure: None,
            secure,
        }
    }

    /// The TXT records at `prefix.domain` that `claims` recognises.
    async fn txt(
        &self,
        asker: &Asker<'_>,
        domain: &Name,
        prefix: &str,
        claims: fn(&str) -> bool,
    ) -> TxtLookup {
        let Ok(name) = domain.prepend(prefix) else {
            return TxtLookup {
                name: format!("{prefix}.{domain}"),
                failure: Some("the name is too long".into()),
                ..TxtLookup::default()
            };
        };
        let answer = asker.ask(&name, RType::TXT).await;
        TxtLookup {
            name: name.to_host(),
            failure: failure(&answer),
            records: texts(&answer).into_iter().filter(|t| claims(t)).collect(),
        }
    }

    /// Fetches SPF records, following the names the core says the evaluation needs,
    /// until none is missing or the bound is reached.
    async fn spf(&self, asker: &Asker<'_>, domain: &str) -> SpfEvidence {
        let mut fetched: BTreeMap<String, Fetched> = BTreeMap::new();
        let mut truncated = false;
        loop {
            let wanted = spf::wanted(domain, &fetched);
            if wanted.is_empty() {
                break;
            }
            if fetched.len() + wanted.len() > MAX_SPF_RECORDS {
                truncated = true;
            }
            let room = MAX_SPF_RECORDS.saturating_sub(fetched.len());
            if room == 0 {
                break;
            }
            let batch: Vec<String> = wanted.into_iter().take(room).collect();
            let answers = futures::future::join_all(batch.iter().map(|name| async move {
                let outcome = match Name::parse(name) {
                    Err(e) => Fetched::Failed {
                        reason: e.to_string(),
                    },
                    Ok(n) => {
                        let answer = asker.ask(&n, RType::TXT).await;
                        match failure(&answer) {
                            Some(reason) => Fetched::Failed { reason },
                            None => {
                                let records: Vec<String> = texts(&answer)
                                    .into_iter()
                                    .filter(|t| spf::is_spf(t))
                                    .collect();
                                if records.is_empty() {
                                    Fetched::None
                                } else {
                                    Fetched::Records { records }
                                }
                            }
                        }
                    }
                };
                (name.clone(), outcome)
            }))
            .await;
            fetched.extend(answers);
            if truncated {
                break;
            }
        }
        SpfEvidence { fetched, truncated }
    }

    /// The domain's MTA-STS policy file, fetched once per run: the sites of one domain
    /// share it (unless this site's deadline cut the fetch short).
    async fn mta_sts_policy(&self, domain: &str, deadline: Instant) -> PolicyFetch {
        self.mta_sts_policies
            .once_before(&domain.to_string(), deadline, || {
                self.mta_sts_policy_fresh(domain, deadline)
            })
            .await
    }

    async fn mta_sts_policy_fresh(&self, domain: &str, deadline: Instant) -> PolicyFetch {
        let Some(url) = mta_sts_url(domain) else {
            return PolicyFetch::Failed {
                url: format!("https://mta-sts.{domain}/.well-known/mta-sts.txt"),
                message: "cannot form the policy URL".into(),
            };
        };
        let host = format!("mta-sts.{domain}");
        // Another host than the site: resolved afresh and refused like any target
        // unless its address passes the address rule; no redirect is followed (RFC 8461
        // §3.3).
        let mut fetcher = SiteFetcher::new(
            &host,
            Pins::default(),
            &self.resolver,
            &self.tls,
            &self.politeness,
            &self.fetch,
            deadline,
        );
        match fetcher.fetch_once(&url, None).await {
            Err(message) => PolicyFetch::Failed {
                url: url.to_string(),
                message,
            },
            Ok(response) => {
                let body =
                    &response.body.bytes[..response.body.bytes.len().min(mta_sts::POLICY_CAP)];
                PolicyFetch::Fetched {
                    url: url.to_string(),
                    status: response.status,
                    content_type: response.header("content-type").map(str::to_string),
                    body: String::from_utf8_lossy(body).into_owned(),
                }
            }
        }
    }

    async fn mx_servers(&self, asker: &Asker<'_>, mx: &MxLookup) -> Vec<MxServer> {
        let mut hosts: Vec<&MxRecord> = Vec::new();
        for record in &mx.records {
            if record.exchange != "." && !hosts.iter().any(|h| h.exchange == record.exchange) {
                hosts.push(record);
            }
        }
        let probes = hosts
            .into_iter()
            .take(self.settings.domain.max_mx)
            .map(|record| self.mx_server(asker, record));
        futures::future::join_all(probes).await
    }

    async fn mx_server(&self, asker: &Asker<'_>, record: &MxRecord) -> MxServer {
        let host = record.exchange.clone();
        let Ok(name) = Name::parse(&host) else {
            return MxServer {
                host: host.clone(),
                preference: record.preference,
                addresses: vec![],
                smtp: SmtpOutcome::NotProbed {
                    reason: format!("`{host}` is not a host name"),
                },
                tlsa: None,
            };
        };
        let (probe, tlsa) = tokio::join!(self.mx_probe(asker, &name), self.tlsa(asker, &name));
        MxServer {
            host,
            preference: record.preference,
            addresses: probe.addresses,
            smtp: probe.smtp,
            tlsa,
        }
    }

    /// Resolves the MX host and talks SMTP to its first allowed address, once per run:
    /// a result is shared with later sites naming the same MX unless this site's
    /// deadline cut it short.
    async fn mx_probe(&self, asker: &Asker<'_>, name: &Name) -> MxProbe {
        self.mx_probes
            .once_before(&name.to_host(), asker.deadline, || {
                self.mx_probe_fresh(asker, name)
            })
            .await
    }

    async fn mx_probe_fresh(&self, asker: &Asker<'_>, name: &Name) -> MxProbe {
        let host = name.to_host();
        let (v4, v6) = tokio::join!(asker.ask(name, RType::A), asker.ask(name, RType::AAAA));
        let mut found: Vec<IpAddr> = Vec::new();
        for message in [&v4, &v6].into_iter().flatten() {
            found.extend(addresses(message));
        }
        found.sort_by_key(|ip| ip.is_ipv6());
        found.dedup();
        let not_probed = |reason: String| MxProbe {
            addresses: found.clone(),
            smtp: SmtpOutcome::NotProbed { reason },
        };
        if found.is_empty() {
            let why = failure(&v4)
                .or_else(|| failure(&v6))
                .unwrap_or_else(|| "no A or AAAA record".into());
            return not_probed(format!("{host} has no address: {why}"));
        }
        let Some(address) = found
            .iter()
            .copied()
            .find(|ip| self.resolver.is_allowed(*ip))
        else {
            let list: Vec<String> = found.iter().map(IpAddr::to_string).collect();
            return not_probed(format!(
                "{host} resolves only to non-public addresses ({})",
                list.join(", ")
            ));
        };
        let target = self
            .resolver
            .override_for_family(&host, 25, address.is_ipv6())
            .unwrap_or(SocketAddr::new(address, 25));
        if tokio::time::timeout_at(asker.deadline, self.politeness.wait(&host, address))
            .await
            .is_err()
        {
            return not_probed(
                "the site deadline passed before the mail server could be contacted".into(),
            );
        }
        asker
            .counter
            .smtp_connections
            .fetch_add(1, Ordering::Relaxed);
        let smtp = smtp::probe(&self.tls, &self.smtp, &host, target, asker.deadline).await;
        let smtp = match smtp {
            // The evidence names the address in DNS, not a test's port override.
            SmtpOutcome::ConnectFailed { message, .. } => {
                SmtpOutcome::ConnectFailed { address, message }
            }
            other => other,
        };
        MxProbe {
            addresses: found,
            smtp,
        }
    }

    /// DANE: the TLSA set at `_25._tcp.<mx>`, asked only when the MX host's zone is
    /// signed (an unsigned TLSA set means nothing, RFC 7672 §2.2).
    async fn tlsa(&self, asker: &Asker<'_>, mx: &Name) -> Option<TlsaEvidence> {
        let Outcome::Secure(zone) = asker.walk(mx).await.0 else {
            return None;
        };
        let name = mx.prepend("_25._tcp").ok()?;
        let answer = asker.ask(&name, RType::TLSA).await;
        if let Some(why) = failure(&answer) {
            return Some(TlsaEvidence {
                name: name.to_host(),
                records: vec![],
                secure: false,
                failure: Some(why),
            });
        }
        let message = answer.ok()?;
        let records: Vec<String> = message
            .answers
            .iter()
            .filter_map(|r| match &r.rdata {
                RData::Tlsa(t) => Some(tlsa_text(t)),
                _ => None,
            })
            .collect();
        let secure = if records.is_empty() {
            message.rcode == Rcode::NOERROR || message.rcode == Rcode::NXDOMAIN
        } else {
            let owner = message
                .answers
                .iter()
                .find(|r| r.rtype == RType::TLSA)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| name.clone());
            matches!(
                asker.validate(&zone, &message, &owner, RType::TLSA).await,
                Some(SetCheck::Secure { .. })
            )
        };
        Some(TlsaEvidence {
            name: name.to_host(),
            records,
            secure,
            failure: None,
        })
    }
}

/// The texts of the TXT records of an answer (strings of one record joined).
fn texts(answer: &crate::dns::Answer) -> Vec<String> {
    answer
        .iter()
        .flat_map(|m| m.answers.iter())
        .filter_map(|r| match &r.rdata {
            RData::Txt(strings) => Some(txt_text(strings)),
            _ => None,
        })
        .collect()
}
