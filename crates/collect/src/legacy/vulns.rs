//! The vulnerability probes, asked once the versions are known, at the newest version up
//! to TLS 1.2 the server speaks and with suites it is known to accept:
//!
//! - one extended hello (renegotiation_info, extended_master_secret, heartbeat, DEFLATE
//!   offered; their echoes read from the ServerHello) that goes on after ServerHelloDone
//!   with an early ChangeCipherSpec (CCS injection);
//! - a heartbeat probe only when the server echoed the extension;
//! - a TLS_FALLBACK_SCSV hello at the next older version, only when the server speaks
//!   more than one;
//! - the five ROBOT ClientKeyExchange variants only when the server accepts RSA key
//!   exchange, a second round only when the first answers differ.
//!
//! Every connection waits for a hello slot and the politeness budget (`Site::admit`) and
//! ends at the site deadline; what a misbehaving server does is recorded as a reaction.

use super::conn::{self, Followed};
use super::{Site, TlsVersion};
use crate::certinfo::rsa_public_key;
use rand::RngCore;
use trustlabel_core::evidence::{
    FallbackProbe, HelloEchoes, ProbeReaction, RobotAnswer, RobotProbe, VersionOutcome,
    VersionProbe, VulnerabilityProbes,
};
use trustlabel_core::tlsprobe::probe_records::{
    HEARTBEAT_PAYLOAD, RobotVariant, early_change_cipher_spec, heartbeat_requests, robot_block,
    robot_records,
};
use trustlabel_core::tlsprobe::{Flight, HelloExtras, Reaction, ServerAnswer};

/// The extended hello's extras: everything a ServerHello can answer at once.
const EXTENDED: HelloExtras = HelloExtras {
    heartbeat: true,
    extended_master_secret: true,
    deflate: true,
    fallback_scsv: false,
};

/// One probe connection's result, before it is reduced to evidence.
struct Outcome {
    answer: Option<Box<ServerAnswer>>,
    reaction: ProbeReaction,
}

impl Site<'_> {
    pub(super) async fn vulnerabilities(
        &self,
        versions: &[VersionProbe],
    ) -> Option<VulnerabilityProbes> {
        let supported: Vec<&VersionProbe> = versions
            .iter()
            .filter(|v| v.outcome == VersionOutcome::Supported && !v.suites.is_empty())
            .collect();
        let base = supported
            .iter()
            .filter(|v| v.version <= TlsVersion::Tls12)
            .max_by_key(|v| v.version)?;
        let version = base.version;
        let suites: Vec<u16> = base.suites.iter().map(|s| s.code).collect();
        let rsa_suite = base.suites.iter().map(|s| s.code).find(|code| {
            self.prober
                .suites
                .get(*code)
                .is_some_and(|s| s.kx == "RSA" && !s.export)
        });
        let handshakes = std::sync::atomic::AtomicU32::new(0);
        let count = || {
            handshakes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };

        let extended = async {
            let first = self
                .follow(version, &suites, EXTENDED, &count, |_| {
                    Some(early_change_cipher_spec(version.wire()))
                })
                .await;
            let echoes = first.answer.as_ref().map(|a| HelloEchoes {
                secure_renegotiation: a.hello.secure_renegotiation,
                extended_master_secret: a.hello.extended_master_secret,
                heartbeat: a.hello.heartbeat,
                compression: a.hello.compression,
            });
            let heartbeat = match &echoes {
                Some(e) if e.heartbeat => Some(
                    self.follow(version, &suites, EXTENDED, &count, |_| {
                        Some(heartbeat_requests(version.wire()))
                    })
                    .await
                    .reaction,
                ),
                _ => None,
            };
            (first, echoes, heartbeat)
        };
        let fallback = self.fallback(&supported, &count);
        let robot = async {
            match rsa_suite {
                Some(suite) => Some(self.robot(version, suite, &count).await),
                None => None,
            }
        };
        let ((first, echoes, heartbeat), fallback, robot) =
            futures::join!(extended, fallback, robot);
        let (hello_outcome, early_ccs) = if echoes.is_some() {
            (None, Some(first.reaction))
        } else {
            (Some(first.reaction), None)
        };
        Some(VulnerabilityProbes {
            version,
            hello: echoes,
            hello_outcome,
            heartbeat,
            early_ccs,
            fallback,
            robot,
            handshakes: handshakes.into_inner(),
        })
    }

    /// RFC 7507: a hello at the version below the newest one, with the SCSV.
    async fn fallback(
        &self,
        supported: &[&VersionProbe],
        count: &(impl Fn() + Sync),
    ) -> Option<FallbackProbe> {
        let highest = supported.iter().map(|v| v.version).max()?;
        let lower = supported
            .iter()
            .filter(|v| v.version < highest)
            .max_by_key(|v| v.version)?;
        let suites: Vec<u16> = lower.suites.iter().map(|s| s.code).collect();
        let extras = HelloExtras {
            fallback_scsv: true,
            ..HelloExtras::default()
        };
        let Some(_permit) = self.admit().await else {
            return Some(FallbackProbe {
                highest,
                asked: lower.version,
                accepted: None,
                reaction: Some(ProbeReaction::NotProbed),
                downgrade_sentinel: false,
            });
        };
        count();
        let bytes = self.hello_bytes(lower.version, &suites, extras);
        let exchange = conn::exchange(
            self.target.addr,
            None,
            &bytes,
            self.limits(),
            &self.round_trip,
        )
        .await;
        let (accepted, reaction, sentinel) = match exchange {
            conn::Exchange::Flight(Flight::Hello(answer)) => (
                TlsVersion::from_wire(answer.hello.version),
                None,
                answer.hello.downgrade_sentinel,
            ),
            conn::Exchange::Flight(flight) => (None, Some(flight_reaction(flight)), false),
            conn::Exchange::Connect(failure) => (
                None,
                Some(ProbeReaction::ConnectFailed {
                    message: failure.message,
                }),
                false,
            ),
        };
        Some(FallbackProbe {
            highest,
            asked: lower.version,
            accepted,
            reaction,
            downgrade_sentinel: sentinel,
        })
    }

    async fn robot(
        &self,
        version: TlsVersion,
        suite: u16,
        count: &(impl Fn() + Sync),
    ) -> RobotProbe {
        let round = || async {
            let answers = RobotVariant::ALL.map(|variant| async move {
                let outcome = self
                    .follow(version, &[suite], HelloExtras::default(), count, |answer| {
                        let (modulus, exponent) = rsa_public_key(answer.certificates.first()?)?;
                        let k = modulus.iter().skip_while(|b| **b == 0).count();
                        let mut random = vec![0u8; k];
                        rand::thread_rng().fill_bytes(&mut random);
                        let block = robot_block(variant, k, version.wire(), &random);
                        robot_records(version.wire(), &modulus, &exponent, &block)
                    })
                    .await;
                RobotAnswer {
                    variant: variant.as_str().to_string(),
                    reaction: outcome.reaction,
                }
            });
            futures::future::join_all(answers).await
        };
        let first = round().await;
        let uniform = first.windows(2).all(|w| w[0].reaction == w[1].reaction);
        let mut rounds = vec![first];
        if !uniform {
            rounds.push(round().await);
        }
        RobotProbe {
            suite: self.prober.suites.name(suite),
            rounds,
        }
    }

    /// One probe connection: hello, flight through ServerHelloDone, then `follow_up`'s
    /// records and the server's reaction.
    async fn follow(
        &self,
        version: TlsVersion,
        suites: &[u16],
        extras: HelloExtras,
        count: &(impl Fn() + Sync),
        follow_up: impl FnOnce(&ServerAnswer) -> Option<Vec<u8>>,
    ) -> Outcome {
        let Some(_permit) = self.admit().await else {
            return Outcome {
                answer: None,
                reaction: ProbeReaction::NotProbed,
            };
        };
        count();
        let bytes = self.hello_bytes(version, suites, extras);
        match conn::exchange_and_follow(self.target.addr, &bytes, follow_up, self.limits()).await {
            Followed::Connect(failure) => Outcome {
                answer: None,
                reaction: ProbeReaction::ConnectFailed {
                    message: failure.message,
                },
            },
            Followed::Flight(Flight::Hello(answer)) => {
                let note = answer
                    .note
                    .clone()
                    .unwrap_or_else(|| "nothing to send after this flight".into());
                Outcome {
                    answer: Some(answer),
                    reaction: ProbeReaction::NoHelloDone { note },
                }
            }
            Followed::Flight(flight) => Outcome {
                answer: None,
                reaction: flight_reaction(flight),
            },
            Followed::Reacted(answer, reaction) => Outcome {
                answer: Some(answer),
                reaction: probe_reaction(reaction),
            },
        }
    }
}

/// A flight that ended before a ServerHello, as a probe's reaction.
fn flight_reaction(flight: Flight) -> ProbeReaction {
    match flight {
        Flight::Hello(answer) => ProbeReaction::NoHelloDone {
            note: answer.note.unwrap_or_default(),
        },
        Flight::Alert(alert) => ProbeReaction::Alert {
            description: alert.name(),
        },
        Flight::Closed => ProbeReaction::Closed,
        Flight::Timeout => ProbeReaction::Timeout,
        Flight::Malformed(message) => ProbeReaction::Malformed { message },
    }
}

fn probe_reaction(reaction: Reaction) -> ProbeReaction {
    match reaction {
        Reaction::Heartbeat {
            payload_len,
            record_len,
        } => ProbeReaction::Heartbeat {
            payload_len,
            record_len,
            sent_payload_len: HEARTBEAT_PAYLOAD,
        },
        Reaction::Alert(alert) => ProbeReaction::Alert {
            description: alert.name(),
        },
        Reaction::Record { content_type } => ProbeReaction::Continued { content_type },
        Reaction::Closed => ProbeReaction::Closed,
        Reaction::Timeout => ProbeReaction::Timeout,
        Reaction::Malformed(message) => ProbeReaction::Malformed { message },
    }
}
