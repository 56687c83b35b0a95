//! `pos-terminal`: a scripted session between a terminal journal and an in-process host.
//!
//! ```text
//! cargo run --example pos_terminal -- [--profile generic-1987|cup-pos] [--spec NAME|PATH]
//!     [--unmask] [--journal PATH]
//! ```
//!
//! Sign-on; a purchase approved; a purchase whose response is lost, so its reversal goes out
//! before the next request; a void of the first purchase; a second purchase refunded in two
//! parts, then a third refund refused for exceeding the original; a balanced settlement.
//! Every wire message is printed as `>> MTI HEX` (terminal to host) or `<< MTI HEX` (host to
//! terminal), HEX being the unframed message, followed by a masked readable dump. In HEX the
//! bytes of card data fields (the spec's masked fields, plus DE 2, 35, 36, 45, 52, 53, 55 and
//! 96 whatever the spec says) show as `**`; `--unmask` prints them in clear.
//!
//! The journal reads every request back (amount, terminal, merchant, MTI, processing code,
//! STAN) and keeps it without card data: no track, PIN block or ICC data, and the PAN sealed
//! with AES-256-GCM under a journal key. Voids, refunds and reversals are built from what
//! the journal kept (`Journal::original`), as they would be after a restart.
//!
//! With `--journal PATH` the journal lives in a file (created if missing, reopened if
//! present), as on a real terminal: locked while the session runs, written atomically after
//! every step, checksummed and authenticated with an HMAC under the journal key, and
//! recovered on reopen (a request left without answer is reversed first). The demo key is a
//! constant; a real terminal implements `JournalKey` over its secure element.

use std::process::ExitCode;

use std::sync::Arc;

use iso8583_wire::flows::journal::{
    ClosedBatch, FileJournal, Journal, JournalError, JournalKey, NewTxn, OriginalMessages,
    SoftwareKey, Stan, Ticket, Totals, TxnKind, TxnState,
};
use iso8583_wire::flows::{
    Card, FlowCodes, FlowContext, FlowProfile, HostSimulator, LocalTime, check_response,
};
use iso8583_wire::framing::{PosHeader, Tpdu};
use iso8583_wire::{MessageView, Spec};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// The demo's journal key bytes. A real terminal never has its key in its code: it
/// implements `JournalKey` over its secure element (or injects the bytes at key loading).
const DEMO_JOURNAL_KEY: [u8; 32] = *b"pos_terminal demo key, not real!";

struct Session {
    ctx: FlowContext,
    journal: Store,
    host: HostSimulator,
    clock: u32,
}

/// Whether `--unmask` was given: wire lines then show card data in clear.
static UNMASK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Fields masked in the wire line whatever the spec says: PAN, tracks, PIN and
/// security data, ICC data.
const CARD_DATA: [u16; 8] = [2, 35, 36, 45, 52, 53, 55, 96];

/// The wire bytes as hex, with the data bytes of card-data fields as `**` unless unmasked.
fn wire_hex(view: &MessageView<'_>, wire: &[u8]) -> String {
    let unmask = UNMASK.load(std::sync::atomic::Ordering::Relaxed);
    let mut hidden = vec![false; wire.len()];
    if !unmask {
        for f in view.fields() {
            if f.spec().is_sensitive() || CARD_DATA.contains(&f.number()) {
                let start = f.offset();
                let end = start.saturating_add(f.raw().len()).min(wire.len());
                for h in hidden.get_mut(start..end).into_iter().flatten() {
                    *h = true;
                }
            }
        }
    }
    wire.iter()
        .zip(&hidden)
        .map(|(x, &h)| {
            if h {
                "**".to_string()
            } else {
                format!("{x:02X}")
            }
        })
        .collect()
}

fn show(dir: &str, spec: &Spec, wire: &[u8]) -> Result<(), AnyError> {
    let view = MessageView::decode(spec, wire)?;
    println!("{dir} {} {}", view.mti(), wire_hex(&view, wire));
    if let (false, Ok(h)) = (view.header().is_empty(), PosHeader::parse(view.header())) {
        println!("   header: {h}");
    }
    for f in view.fields() {
        println!("   {:>3} {:<44} {}", f.number(), f.spec().name(), f);
    }
    Ok(())
}

/// The journal, in memory or in a file.
enum Store {
    Memory(Journal),
    File(FileJournal),
}

/// Forwards each call to the in-memory or the file journal.
macro_rules! both {
    ($self:ident, $j:ident => $e:expr) => {
        match $self {
            Store::Memory($j) => $e,
            Store::File($j) => $e,
        }
    };
}

impl Store {
    fn journal(&self) -> &Journal {
        match self {
            Store::Memory(j) => j,
            Store::File(f) => f.journal(),
        }
    }
    fn next_reversal(&self) -> Option<iso8583_wire::flows::journal::ReversalJob> {
        self.journal().next_reversal()
    }
    fn last_stan(&self) -> Option<Stan> {
        self.journal().last_stan()
    }
    fn allocate_stan(&mut self) -> Result<Stan, JournalError> {
        both!(self, j => j.allocate_stan())
    }
    fn batch(&self) -> u32 {
        self.journal().batch()
    }
    fn begin<F, E>(&mut self, req: NewTxn, encode: F) -> Result<Ticket, JournalError>
    where
        F: FnOnce(&Ticket) -> Result<Vec<u8>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        both!(self, j => j.begin(req, encode))
    }
    fn on_response_message(&mut self, stan: Stan, rsp: &[u8]) -> Result<TxnState, JournalError> {
        both!(self, j => j.on_response_message(stan, rsp))
    }
    fn original(&self, stan: Stan) -> Result<OriginalMessages, JournalError> {
        self.journal().original(stan)
    }
    fn on_timeout(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        both!(self, j => j.on_timeout(stan))
    }
    fn on_reversal_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
        both!(self, j => j.on_reversal_sent(stan))
    }
    fn on_reversal_response(&mut self, stan: Stan, code: &str) -> Result<TxnState, JournalError> {
        both!(self, j => j.on_reversal_response(stan, code))
    }
    fn on_reversal_no_response(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        both!(self, j => j.on_reversal_no_response(stan))
    }
    fn sign_on(&mut self, batch: Option<u32>) -> Result<(), JournalError> {
        both!(self, j => j.sign_on(batch))
    }
    fn settle(&mut self) -> Result<Totals, JournalError> {
        both!(self, j => j.settle())
    }
    fn close_batch(&mut self, ok: bool) -> Result<ClosedBatch, JournalError> {
        both!(self, j => j.close_batch(ok))
    }
}

impl Session {
    fn now(&mut self) -> LocalTime {
        self.clock += 7;
        LocalTime {
            month: 11,
            day: 22,
            hour: 9,
            minute: (self.clock / 60 % 60) as u8,
            second: (self.clock % 60) as u8,
        }
    }

    /// Sends `request` to the host; returns the response bytes (None if `lose` drops it).
    fn exchange(&mut self, request: &[u8], lose: bool) -> Result<Option<Vec<u8>>, AnyError> {
        let spec = self.ctx.spec.clone();
        show(">>", &spec, request)?;
        let view = MessageView::decode(&spec, request)?;
        let response = self.host.answer(&view)?.encode_to_vec()?;
        if lose {
            println!("   (response lost on the line)");
            return Ok(None);
        }
        show("<<", &spec, &response)?;
        check_response(
            &view,
            &MessageView::decode(&spec, &response)?,
            &self.ctx.profile,
        )?;
        Ok(Some(response))
    }

    /// Sends any pending reversal first: the journal refuses new work until it is gone.
    fn flush_reversals(&mut self) -> Result<(), AnyError> {
        while let Some(job) = self.journal.next_reversal() {
            println!(
                "-- pending reversal of STAN {} (reason {}, attempt {})",
                job.stan,
                job.reason.code(),
                job.attempt
            );
            let now = self.now();
            // Built from what the journal kept: the request without card data, PAN unsealed.
            let kept = self.journal.original(job.stan)?;
            let original = MessageView::decode(&self.ctx.spec, kept.request())?;
            let wire = self
                .ctx
                .reversal(
                    &original,
                    job.reason,
                    job.auth_code.as_deref(),
                    job.repeat,
                    &now,
                )?
                .encode_to_vec()?;
            self.journal.on_reversal_sent(job.stan)?;
            match self.exchange(&wire, false)? {
                Some(rsp) => {
                    let code = MessageView::decode(&self.ctx.spec, &rsp)?
                        .text(39)
                        .map_or_else(|| "??".to_owned(), |c| c.into_owned());
                    self.journal.on_reversal_response(job.stan, &code)?;
                }
                None => {
                    self.journal.on_reversal_no_response(job.stan)?;
                }
            }
        }
        Ok(())
    }

    /// Runs one online transaction through the journal: begin (checks the request against
    /// `txn`, records the reversal-to-be), transmit, then record the outcome.
    fn online(
        &mut self,
        txn: NewTxn,
        build: impl FnOnce(&FlowContext, Stan, u32) -> Result<Vec<u8>, AnyError>,
        lose: bool,
    ) -> Result<Option<Vec<u8>>, AnyError> {
        self.flush_reversals()?;
        let ctx = self.ctx.clone();
        let ticket = self.journal.begin(txn, |t| build(&ctx, t.stan, t.batch))?;
        match self.exchange(&ticket.request, lose)? {
            None => {
                self.journal.on_timeout(ticket.stan)?;
                println!("-- STAN {} uncertain: reversal queued", ticket.stan);
                Ok(None)
            }
            Some(rsp) => {
                // DE 39, 37 and 38 are read from the response; it is kept without card data.
                let state = self.journal.on_response_message(ticket.stan, &rsp)?;
                println!("-- STAN {} {:?}", ticket.stan, state);
                Ok(Some(rsp))
            }
        }
    }

    /// What the journal checks the request against: amount, identities, MTI and (when the
    /// profile has one) processing code.
    fn txn(&self, kind: TxnKind, amount: u64, codes: &FlowCodes) -> NewTxn {
        let txn = NewTxn::new(
            kind,
            amount,
            &self.ctx.terminal_id,
            &self.ctx.merchant_id,
            &codes.mti,
        );
        match &codes.processing_code {
            Some(pc) => txn.with_processing_code(pc),
            None => txn,
        }
    }

    /// The original request and response of `stan`, as the journal kept them.
    fn original(&self, stan: Stan) -> Result<(Vec<u8>, Vec<u8>), AnyError> {
        let kept = self.journal.original(stan)?;
        let rsp = kept.response().ok_or("the journal kept no response")?;
        Ok((kept.request().to_vec(), rsp.to_vec()))
    }
}

fn run(
    profile_name: &str,
    spec_name: Option<&str>,
    journal_path: Option<&str>,
) -> Result<(), AnyError> {
    let profile = FlowProfile::builtin(profile_name)
        .ok_or_else(|| format!("unknown profile {profile_name:?}"))?;
    let spec_name = spec_name.unwrap_or(if profile.uses_de60 {
        "cup-pos"
    } else {
        "iso87-ascii-bin"
    });
    let spec = Spec::load(spec_name)?;
    let header = (spec.header_len() == PosHeader::LEN).then(|| PosHeader {
        tpdu: Tpdu::new(0x0003, 0x0000),
        app_type: 0x61,
        version: 0x31,
        terminal_status: 0,
        processing: 0,
        app_version: [0x31, 0x01, 0x02],
    });
    let ctx = FlowContext {
        spec,
        profile: profile.clone(),
        terminal_id: "TERM0001".into(),
        merchant_id: "123456789012345".into(),
        acquirer_id: Some("48020000".into()),
        header,
    };
    let key: Arc<dyn JournalKey> = Arc::new(SoftwareKey::from_bytes(1, &DEMO_JOURNAL_KEY));
    let fresh = Journal::new(
        ctx.spec.clone(),
        key.clone(),
        "TERM0001",
        "123456789012345",
        profile.journal.clone(),
    );
    let journal = match journal_path {
        None => Store::Memory(fresh),
        Some(p) if std::path::Path::new(p).exists() => {
            let f = FileJournal::open(p, ctx.spec.clone(), key)?;
            println!(
                "== journal {p} reopened: batch {}, {} transaction(s), {} reversal(s) queued",
                f.journal().batch(),
                f.journal().transactions().count(),
                f.journal().reversals().len()
            );
            Store::File(f)
        }
        Some(p) => {
            println!("== journal {p} created");
            Store::File(FileJournal::create(p, fresh)?)
        }
    };
    let mut s = Session {
        journal,
        host: HostSimulator::new(profile.clone(), 1_000_000),
        ctx,
        clock: 0,
    };
    let card = Card::chip(
        "6222021234567890123",
        "2912",
        "001",
        vec![
            0x9F, 0x26, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x9F, 0x27, 0x01, 0x80,
        ],
    );

    println!("== sign-on ({}, spec {})", profile.name, s.ctx.spec.name());
    let now = s.now();
    let signon = s.txn(TxnKind::SignOn, 0, &profile.sign_on);
    let rsp = s
        .online(
            signon,
            |c, stan, batch| Ok(c.sign_on(stan, batch, &now)?.encode_to_vec()?),
            false,
        )?
        .ok_or("no sign-on response")?;
    let batch = MessageView::decode(&s.ctx.spec, &rsp)?
        .subfield("60.2")
        .ok()
        .flatten()
        .and_then(|b| b.to_u64())
        .map(|b| b as u32);
    s.journal.sign_on(batch)?;

    println!("\n== purchase 25.00, approved");
    let now = s.now();
    s.online(
        s.txn(TxnKind::Purchase, 2500, &profile.purchase),
        |c, stan, b| Ok(c.purchase(stan, b, &card, 2500, &now)?.encode_to_vec()?),
        false,
    )?
    .ok_or("no response")?;
    let first_stan = s.journal.last_stan().ok_or("no STAN")?;
    if let Some(kept) = s.journal.journal().txn(first_stan) {
        let view = MessageView::decode(&s.ctx.spec, &kept.request)?;
        let fields: Vec<String> = view.fields().map(|f| f.number().to_string()).collect();
        println!(
            "-- journal keeps STAN {first_stan}: fields {} (no PAN, track, PIN block or ICC \
             data), PAN sealed under key version {}, last digits {}",
            fields.join(","),
            kept.pan.as_ref().map_or(0, |p| p.key_version()),
            kept.pan_hint.as_deref().unwrap_or("-")
        );
    }

    println!("\n== purchase 12.00, response lost");
    let now = s.now();
    s.online(
        s.txn(TxnKind::Purchase, 1200, &profile.purchase),
        |c, stan, b| Ok(c.purchase(stan, b, &card, 1200, &now)?.encode_to_vec()?),
        true,
    )?;

    println!("\n== void of the first purchase (the pending reversal goes first)");
    let now = s.now();
    let void = s
        .txn(TxnKind::Void, 2500, &profile.void)
        .with_original(first_stan);
    let (orig_req, orig_rsp) = s.original(first_stan)?;
    s.online(
        void,
        |c, stan, b| {
            let req = MessageView::decode(&c.spec, &orig_req)?;
            let rsp = MessageView::decode(&c.spec, &orig_rsp)?;
            Ok(c.void(stan, b, &req, &rsp, &now)?.encode_to_vec()?)
        },
        false,
    )?;

    println!("\n== purchase 80.00, then refunds of 30.00 and 40.00");
    let now = s.now();
    s.online(
        s.txn(TxnKind::Purchase, 8000, &profile.purchase),
        |c, stan, b| Ok(c.purchase(stan, b, &card, 8000, &now)?.encode_to_vec()?),
        false,
    )?
    .ok_or("no response")?;
    let second_stan = s.journal.last_stan().ok_or("no STAN")?;
    for amount in [3000u64, 4000] {
        let now = s.now();
        let (req, rsp) = s.original(second_stan)?;
        let refund = s
            .txn(TxnKind::Refund, amount, &profile.refund)
            .with_original(second_stan);
        s.online(
            refund,
            |c, stan, b| {
                let req = MessageView::decode(&c.spec, &req)?;
                let rsp = MessageView::decode(&c.spec, &rsp)?;
                Ok(c.refund(stan, b, &req, &rsp, amount, &now)?
                    .encode_to_vec()?)
            },
            false,
        )?;
    }
    println!("\n== third refund of 20.00 (only 10.00 left)");
    let refund = s
        .txn(TxnKind::Refund, 2000, &profile.refund)
        .with_original(second_stan);
    match s.journal.begin(refund, |_| Ok::<_, AnyError>(Vec::new())) {
        Err(e @ JournalError::RefundExceedsOriginal { .. }) => {
            println!("-- refused by the journal: {e}")
        }
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }

    println!("\n== settlement");
    s.flush_reversals()?;
    let totals = s.journal.settle()?;
    println!(
        "-- totals: {} debits {}, {} credits {}",
        totals.debit_count, totals.debit_amount, totals.credit_count, totals.credit_amount
    );
    let now = s.now();
    // Not journaled as a transaction, but its STAN is taken from the journal
    // so the next sign-on does not reuse it.
    let stan = s.journal.allocate_stan()?;
    let batch = s.journal.batch();
    let wire = s
        .ctx
        .settlement(stan, batch, &totals, &now)?
        .encode_to_vec()?;
    let rsp = s.exchange(&wire, false)?.ok_or("no settlement response")?;
    let v = MessageView::decode(&s.ctx.spec, &rsp)?;
    let balanced = if profile.uses_de60 {
        v.subfield("48.5")
            .ok()
            .flatten()
            .map(|f| f.clear_string())
            .as_deref()
            == Some("1")
    } else {
        v.text_eq(39, "00")
    };
    let closed = s.journal.close_batch(balanced)?;
    println!(
        "-- settlement {}; batch {} closed",
        if balanced { "balanced" } else { "NOT balanced" },
        closed.summary.batch
    );
    if !balanced {
        return Err("settlement did not balance".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut profile = "generic-1987".to_string();
    let mut spec = None;
    let mut journal = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--profile" => profile = it.next().cloned().unwrap_or_default(),
            "--spec" => spec = it.next().cloned(),
            "--journal" => journal = it.next().cloned(),
            "--unmask" => UNMASK.store(true, std::sync::atomic::Ordering::Relaxed),
            "-h" | "--help" => {
                println!(
                    "usage: pos_terminal [--profile generic-1987|cup-pos] [--spec NAME|PATH] \
                     [--unmask] [--journal PATH]"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("pos_terminal: unknown argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    match run(&profile, spec.as_deref(), journal.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pos_terminal: {e}");
            ExitCode::from(1)
        }
    }
}
