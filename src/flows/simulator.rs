//! An in-process acquiring host: decodes what a terminal sends, matches it in a
//! [`HostLedger`], and answers with a response built by [`response_to`].

use crate::flows::host::{HostConfig, HostLedger, HostRequest, HostTxnKind, KeyProfile, TxnKey};
use crate::flows::journal::Totals;
use crate::message::{MessageBuilder, MessageView, SubValue};

use super::build::FlowError;
use super::profile::{FlowCodes, FlowProfile, ReversalStyle};
use super::response::response_to;

/// A host that answers sign-on, echo, purchase, void, refund, reversal and settlement.
///
/// ```
/// use iso8583_wire::flows::{Card, FlowContext, FlowProfile, HostSimulator, LocalTime};
/// use iso8583_wire::flows::journal::Stan;
/// use iso8583_wire::{MessageView, Spec};
/// let ctx = FlowContext {
///     spec: Spec::builtin("iso87-ascii-bin")?,
///     profile: FlowProfile::generic_1987(),
///     terminal_id: "TERM0001".into(),
///     merchant_id: "MERCHANT0000001".into(),
///     acquirer_id: None,
///     header: None,
/// };
/// let now = LocalTime { month: 1, day: 2, hour: 3, minute: 4, second: 5 };
/// let mut host = HostSimulator::new(ctx.profile.clone(), 100_000);
/// let req = ctx.purchase(Stan::new(1).unwrap(), 1, &Card::keyed("4761739001010119", "2912"), 500, &now)?.encode_to_vec()?;
/// let rsp = host.answer(&MessageView::decode(&ctx.spec, &req)?)?.encode_to_vec()?;
/// assert_eq!(MessageView::decode(&ctx.spec, &rsp)?.str(39), Some("00"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct HostSimulator {
    profile: FlowProfile,
    ledger: HostLedger,
}

fn text(v: &MessageView<'_>, n: u16) -> Option<String> {
    Some(v.field(n)?.clear_string())
}

fn sub(v: &MessageView<'_>, path: &str) -> Option<String> {
    v.subfield(path).ok().flatten().map(|s| s.clear_string())
}

fn matches(v: &MessageView<'_>, codes: &FlowCodes) -> bool {
    v.mti().as_str() == codes.mti
        && codes
            .processing_code
            .as_deref()
            .is_none_or(|pc| v.text_eq(3, pc))
        && codes
            .type_code
            .as_deref()
            .is_none_or(|t| sub(v, "60.1").as_deref() == Some(t))
}

impl HostSimulator {
    /// A host for `profile` approving purchases up to `purchase_limit` (minor units).
    pub fn new(profile: FlowProfile, purchase_limit: u64) -> Self {
        let config = if profile.uses_de60 {
            HostConfig::cup()
        } else {
            HostConfig::generic()
        }
        .with_purchase_limit(purchase_limit);
        Self {
            profile,
            ledger: HostLedger::new(config),
        }
    }

    /// The ledger behind the simulator.
    pub fn ledger(&self) -> &HostLedger {
        &self.ledger
    }

    fn key(&self, v: &MessageView<'_>, stan: Option<u32>) -> TxnKey {
        let batch = sub(v, "60.2").and_then(|b| b.parse().ok());
        TxnKey::new(
            text(v, 41).unwrap_or_default(),
            text(v, 42).unwrap_or_default(),
            batch,
            stan.or_else(|| v.field(11).and_then(|f| f.to_u64()).map(|s| s as u32))
                .unwrap_or(0),
        )
    }

    /// The original a void, refund or reversal points at.
    fn original_key(&self, v: &MessageView<'_>, kind: HostTxnKind) -> Option<TxnKey> {
        if let Some(od) = v.original_data() {
            return Some(self.key(v, Some(od.stan)));
        }
        match kind {
            HostTxnKind::Reversal if self.profile.reversal_style == ReversalStyle::CupCopy => {
                Some(self.key(v, None))
            }
            HostTxnKind::Void => {
                let batch = sub(v, "61.1").and_then(|b| b.parse().ok());
                let stan = sub(v, "61.2").and_then(|s| s.parse().ok())?;
                let mut key = self.key(v, Some(stan));
                key.batch = batch;
                Some(key)
            }
            HostTxnKind::Refund => {
                let key = self.key(v, None);
                self.ledger
                    .key_by_rrn(&text(v, 37)?, &key.terminal, &key.merchant)
                    .cloned()
            }
            _ => None,
        }
    }

    /// Which ledger flow a request is, by the profile's codes.
    fn kind(&self, v: &MessageView<'_>) -> Option<HostTxnKind> {
        let p = &self.profile;
        if v.mti().class() == 4 {
            Some(HostTxnKind::Reversal)
        } else if matches(v, &p.void) {
            Some(HostTxnKind::Void)
        } else if matches(v, &p.refund) {
            Some(HostTxnKind::Refund)
        } else if matches(v, &p.purchase) {
            Some(HostTxnKind::Purchase)
        } else {
            None
        }
    }

    /// Terminal totals carried by a settlement request.
    fn totals(&self, v: &MessageView<'_>) -> Totals {
        let n = |p: &str| -> u64 {
            if p.starts_with("48.") {
                return v
                    .subfield(p)
                    .ok()
                    .flatten()
                    .and_then(|s| s.to_u64())
                    .unwrap_or(0);
            }
            p.parse()
                .ok()
                .and_then(|f| v.field(f))
                .and_then(|f| f.to_u64())
                .unwrap_or(0)
        };
        if self.profile.uses_de60 {
            Totals {
                debit_amount: n("48.1"),
                debit_count: n("48.2") as u32,
                credit_amount: n("48.3"),
                credit_count: n("48.4") as u32,
            }
        } else {
            Totals {
                debit_amount: n("88"),
                debit_count: n("76") as u32,
                credit_amount: n("86"),
                credit_count: n("74") as u32,
            }
        }
    }

    /// Answers one request.
    pub fn answer(
        &mut self,
        request: &MessageView<'_>,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mti = request.mti();
        if mti.class() == 8 {
            let mut b = response_to(request, &self.profile, "00")?;
            if self.profile.uses_de60 && mti.as_str() == "0800" {
                // Sign-on: adopt batch and send fresh working keys (test keys).
                if let Some(v) = request.field(60) {
                    b.set(60, v.clear_string())?;
                }
                let keys: Vec<u8> = (0u8..40).collect();
                b.set(62, crate::message::FieldValue::binary_owned(keys))?;
            }
            return Ok(b);
        }
        if mti.class() == 5 {
            let totals = self.totals(request);
            let key = self.key(request, None);
            let check = self.ledger.settle(&key.terminal, key.batch, &totals);
            let mut b = response_to(request, &self.profile, "00")?;
            if self.profile.uses_de60 {
                let flag = if check.balanced { "1" } else { "2" };
                let mut parts: Vec<(String, SubValue)> = request
                    .subfields(48)
                    .and_then(Result::ok)
                    .map(|it| {
                        it.filter_map(Result::ok)
                            .map(|s| (s.key().to_string(), SubValue::Text(s.clear_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(p) = parts.iter_mut().find(|(k, _)| k == "5") {
                    p.1 = SubValue::from(flag);
                }
                b.set_subfields(48, &parts)?;
            } else if !check.balanced {
                b.set(39, "95".to_owned())?;
            }
            return Ok(b);
        }
        let Some(kind) = self.kind(request) else {
            return response_to(request, &self.profile, "40");
        };
        let amount = request.field(4).and_then(|f| f.to_u64()).unwrap_or(0);
        let mut req = HostRequest::new(kind, self.key(request, None), amount);
        req.transmitted = text(request, 7);
        req = req.with_content(
            request
                .as_bytes()
                .get(request.header().len()..)
                .unwrap_or_default()
                .to_vec(),
        );
        if kind != HostTxnKind::Purchase {
            match self.original_key(request, kind) {
                Some(k) => req = req.with_original(k),
                None => return response_to(request, &self.profile, "25"),
            }
        }
        let decision = self.ledger.on_request(req);
        let mut b = response_to(request, &self.profile, &decision.response_code)?;
        if let Some(rrn) = decision.rrn.filter(|_| decision.response_code == "00") {
            b.set(37, rrn)?;
        }
        if let Some(auth) = decision
            .auth_code
            .filter(|_| decision.response_code == "00")
        {
            b.set(38, auth)?;
        }
        Ok(b)
    }
}

/// The key profile a flow profile's host uses.
pub fn key_profile(profile: &FlowProfile) -> KeyProfile {
    if profile.uses_de60 {
        KeyProfile::Cup
    } else {
        KeyProfile::TerminalStan
    }
}
