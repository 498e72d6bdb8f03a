//! Leases, the sign-in counters and id generation, in memory.
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ids::InviteCode;
use crate::ports::{Ids, Leases, SignInCounters};
use crate::records::install_links::LinkToken;
use crate::sign_in_throttle::{Failures, Limits};

pub struct FakeLeases {
    pub script: Script,
    held: Mutex<HashMap<String, (String, i64)>>,
}

impl FakeLeases {
    pub(super) fn new(script: Script) -> FakeLeases {
        FakeLeases { script, held: Mutex::default() }
    }
}

#[async_trait]
impl Leases for FakeLeases {
    async fn take(&self, id: &str, owner: &str, now: i64, seconds: i64) -> Result<bool, Unavailable> {
        self.script.enter("take").map_err(|f| f.unavailable(Service::DynamoDb))?;
        let mut held = lock(&self.held);
        let free = held.get(id).is_none_or(|(o, until)| *until < now || o == owner);
        if free {
            held.insert(id.to_owned(), (owner.to_owned(), now + seconds));
        }
        Ok(free)
    }
}

pub struct FakeCounters {
    pub script: Script,
    counts: Mutex<HashMap<String, Failures>>,
}

impl FakeCounters {
    pub(super) fn new(script: Script) -> FakeCounters {
        FakeCounters { script, counts: Mutex::default() }
    }

    fn enter(&self, op: &'static str) -> Result<(), Unavailable> {
        self.script.enter(op).map_err(|f| f.unavailable(Service::DynamoDb))
    }
}

#[async_trait]
impl SignInCounters for FakeCounters {
    async fn read(&self, key: &str) -> Result<Option<Failures>, Unavailable> {
        self.enter("read")?;
        Ok(lock(&self.counts).get(key).copied())
    }

    async fn fail(&self, key: &str, limits: &Limits, now: i64) -> Result<Failures, Unavailable> {
        self.enter("fail")?;
        let mut counts = lock(&self.counts);
        let next = match counts.get(key) {
            Some(f) if !limits.is_over(f, now) => Failures { count: f.count + 1, first: f.first, last: now },
            _ => Failures { count: 1, first: now, last: now },
        };
        counts.insert(key.to_owned(), next);
        Ok(next)
    }

    async fn clear(&self, key: &str) -> Result<(), Unavailable> {
        self.enter("clear")?;
        lock(&self.counts).remove(key);
        Ok(())
    }
}

/// Ids counted up (`id-1`, `id-2`, …) and invite codes made from the count.
#[derive(Default)]
pub struct FakeIds {
    next: AtomicUsize,
}

impl Ids for FakeIds {
    fn unique(&self) -> String {
        format!("id-{}", self.next.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn invite_code(&self) -> InviteCode {
        super::code(self.next.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// `0…0<n>` in 64 hex characters: distinct per call, of the shape a link's URL holds.
    fn link_token(&self) -> LinkToken {
        let n = self.unique().bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        LinkToken::parse(&format!("{n:064x}")).expect("a token of 64 hex characters")
    }

    /// Bytes distinct per call (`n`, then the call's number, repeated).
    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let call = self.next.fetch_add(1, Ordering::SeqCst) as u8;
        (0..n).map(|i| call.wrapping_mul(37).wrapping_add(i as u8)).collect()
    }
}
