//! The one cache of the console: reads shared by every request of the process for a short while,
//! so a page that 200 admins open at once costs one backend read, not 200.
//!
//! An entry lives `ttl` (by the [`Clock`] the cache is given). [`ReadCache::invalidate`] (called by
//! the services after every change they make to what the entries hold) drops them all, and a read
//! that was under way across an invalidation is kept for [`Freshness::Shared`] reads only (it may
//! predate the change; without it, changes more frequent than a read lasts would leave nothing to
//! share, and every page would queue for a read of its own). Concurrent
//! misses of one key wait for a single read. An entry past its `ttl` is read again by one caller
//! while the others are answered with it for up to another `ttl`.
//!
//! An invalidation concerns [`Freshness::SinceChange`] reads only (the page after a change, and
//! every read a change makes): they wait for data read since the change. A read that may show
//! older data ([`Freshness::Shared`], a page that shows no change of its viewer's) is answered
//! with the entry while it is younger than `ttl`, changes or not, and past it as above. So a steady
//! stream of changes (people linking, each change an audit event) costs the pages at most one read
//! per key per `ttl`, not one per change: nobody but the viewer of a change waits for a read.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

use crate::time::Clock;

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Freshness {
    /// Read since the latest change this process made: the page that shows its viewer's change,
    /// and every read a service makes for a change of its own.
    #[default]
    SinceChange,
    /// Read since the given moment (unix milliseconds, by the cache's clock): the pages of a
    /// session that changed something then. Any read that began after it will do, whoever changed
    /// what since, so many sessions' recent changes are met by one read, not one read each.
    Since(i64),
    /// May be answered from before the latest change while one caller reads anew: a page that
    /// shows no change of its viewer's.
    Shared,
}

/// Unix milliseconds of `t`.
pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A count of changes that several caches share: invalidating one of them drops what every one
/// holds (the registry overview, each workspace's page and the users pages' rows, say).
#[derive(Clone, Debug, Default)]
pub struct Epoch(Arc<AtomicU64>);

impl Epoch {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Starts a new epoch: nothing read before is fresh any more, in every cache sharing it.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct ReadCache<K, V> {
    ttl: Duration,
    epoch: Epoch,
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<State<K, V>>>,
}

impl<K, V> Clone for ReadCache<K, V> {
    fn clone(&self) -> Self {
        ReadCache { ttl: self.ttl, epoch: self.epoch.clone(), clock: self.clock.clone(), state: self.state.clone() }
    }
}

impl<K, V> std::fmt::Debug for ReadCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

struct State<K, V> {
    /// Each entry: when it was read, the epoch its read began in (an entry of an older epoch, an
    /// invalidation since, of this cache or one sharing its epoch, answers `Shared` reads only) and
    /// when its read began (unix ms, for [`Freshness::Since`]).
    entries: HashMap<K, Entry<V>>,
    /// One lock per key being read, so concurrent misses make one read.
    reads: HashMap<K, Arc<futures::lock::Mutex<()>>>,
}

struct Entry<V> {
    at: OffsetDateTime,
    epoch: u64,
    began: i64,
    value: V,
}

/// More keys than this and the cache starts afresh (entries are cheap to read again).
const MAX_ENTRIES: usize = 10_000;

impl<K: Eq + Hash + Clone, V: Clone> ReadCache<K, V> {
    /// A cache keeping entries for `ttl`; zero keeps nothing (every call reads).
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        Self::sharing(ttl, clock, &Epoch::default())
    }

    /// A cache that any invalidation of `epoch` (through any cache sharing it) empties.
    pub fn sharing(ttl: Duration, clock: Arc<dyn Clock>, epoch: &Epoch) -> Self {
        let state = State { entries: HashMap::new(), reads: HashMap::new() };
        ReadCache { ttl, epoch: epoch.clone(), clock, state: Arc::new(Mutex::new(state)) }
    }

    /// The epoch this cache's entries belong to, for other caches to share.
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    fn age(&self, at: OffsetDateTime) -> Duration {
        (self.clock.now() - at).try_into().unwrap_or(Duration::ZERO)
    }

    /// The entry for `key` if it is fresh enough for `freshness` and less than `age` old.
    fn within(&self, key: &K, age: Duration, freshness: Freshness) -> Option<V> {
        let state = self.state.lock().ok()?;
        let now = self.epoch.now();
        let e = state.entries.get(key)?;
        let enough = match freshness {
            Freshness::Shared => true,
            Freshness::SinceChange => e.epoch == now,
            Freshness::Since(t) => e.epoch == now || e.began > t,
        };
        (enough && self.age(e.at) < age).then(|| e.value.clone())
    }

    fn fresh(&self, key: &K, freshness: Freshness) -> Option<V> {
        self.within(key, self.ttl, freshness)
    }

    /// The entry for `key`, or `read()`'s answer (kept if it succeeded and nothing was invalidated
    /// meanwhile).
    pub async fn get_or_read<E, F, Fut>(&self, key: K, freshness: Freshness, read: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return read().await;
        }
        if let Some(v) = self.fresh(&key, freshness) {
            return Ok(v);
        }
        // (The guard must be gone before any await: the future is sent between threads.)
        let lock = self.state.lock().ok().map(|mut s| s.reads.entry(key.clone()).or_default().clone());
        let Some(lock) = lock else { return read().await };
        let stale = self.within(&key, self.ttl * 2, freshness);
        let _turn = match (lock.try_lock(), stale) {
            (Some(turn), _) => turn,
            // Someone is reading it anew: answer with the entry it replaces.
            (None, Some(stale)) => return Ok(stale),
            (None, None) => lock.lock().await,
        };
        // Another caller may have read it while this one waited.
        if let Some(v) = self.fresh(&key, freshness) {
            return Ok(v);
        }
        let (epoch, started) = (self.epoch.now(), self.clock.now());
        let value = read().await;
        if let Ok(mut s) = self.state.lock() {
            // Kept with the epoch the read began in: one that crossed a change answers `Shared`
            // reads (any epoch) but not `SinceChange` ones. Never over an entry put since it began.
            let newer = s.entries.get(&key).is_some_and(|e| e.epoch > epoch || e.at > started);
            if let (Ok(v), false) = (&value, newer) {
                if s.entries.len() >= MAX_ENTRIES {
                    s.entries.clear();
                }
                let entry = Entry { at: self.clock.now(), epoch, began: millis(started), value: v.clone() };
                s.entries.insert(key.clone(), entry);
            }
            s.reads.remove(&key);
        }
        value
    }

    /// The last value read for `key`, however old (what stands in while its backend is down).
    pub fn last(&self, key: &K) -> Option<V> {
        self.state.lock().ok()?.entries.get(key).map(|e| e.value.clone())
    }

    /// Keeps `value` for `key` as read now (a read made outside [`ReadCache::get_or_read`]).
    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut s) = self.state.lock() {
            let (epoch, at) = (self.epoch.now(), self.clock.now());
            s.entries.insert(key, Entry { at, epoch, began: millis(at), value });
        }
    }

    /// Changes the entry for `key` in place, keeping its age (a value completed with what it lacked).
    pub fn update(&self, key: &K, change: impl FnOnce(&mut V)) {
        if let Ok(mut s) = self.state.lock() {
            if let Some(e) = s.entries.get_mut(key) {
                change(&mut e.value);
            }
        }
    }

    /// Drops the entry for `key` only.
    pub fn forget(&self, key: &K) {
        if let Ok(mut s) = self.state.lock() {
            s.entries.remove(key);
        }
    }

    /// Starts a new epoch (for every cache sharing this one's): no entry read before, nor any read
    /// under way, is fresh any more. Old entries stay only to answer [`Freshness::Shared`] reads.
    pub fn invalidate(&self) {
        self.epoch.bump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FakeClock;
    use futures::FutureExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn cache<K: Eq + Hash + Clone, V: Clone>(secs: u64) -> (ReadCache<K, V>, Arc<FakeClock>) {
        let clock = Arc::new(FakeClock::default());
        (ReadCache::new(Duration::from_secs(secs), clock.clone()), clock)
    }

    #[tokio::test]
    async fn concurrent_misses_make_one_read() {
        let (cache, _) = cache::<&str, usize>(10);
        let reads = Arc::new(AtomicUsize::new(0));
        let (gate, opened) = futures::channel::oneshot::channel::<()>();
        let opened = opened.shared();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, reads, opened) = (cache.clone(), reads.clone(), opened.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_read("page", Freshness::SinceChange, || async {
                            reads.fetch_add(1, Ordering::SeqCst);
                            let _ = opened.await;
                            Ok::<_, ()>(7)
                        })
                        .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        gate.send(()).unwrap();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_invalidation_drops_entries_and_the_read_under_way() {
        let (cache, _) = cache::<&str, usize>(10);
        let read = |v| move || async move { Ok::<_, ()>(v) };
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(1)).await, Ok(1));
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(2)).await, Ok(1), "kept");
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(3)).await, Ok(3), "read again after a write");
        // A read that started before a write is answered but not kept.
        let c = cache.clone();
        cache.invalidate();
        let v = cache
            .get_or_read("k", Freshness::SinceChange, || async move {
                c.invalidate();
                Ok::<_, ()>(4)
            })
            .await;
        assert_eq!(v, Ok(4));
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(5)).await, Ok(5));
    }

    #[tokio::test]
    async fn a_read_that_crossed_a_change_answers_shared_pages_but_not_the_changes_viewer() {
        let (cache, _) = cache::<&str, usize>(10);
        let c = cache.clone();
        let crossing = || async move {
            c.invalidate();
            Ok::<_, ()>(1)
        };
        assert_eq!(cache.get_or_read("k", Freshness::Shared, crossing).await, Ok(1));
        let read = |v| move || async move { Ok::<_, ()>(v) };
        assert_eq!(cache.get_or_read("k", Freshness::Shared, read(2)).await, Ok(1), "kept for the other pages");
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(3)).await, Ok(3), "the viewer reads since the change");
    }

    #[tokio::test]
    async fn the_pages_of_sessions_that_changed_something_share_a_read_begun_after_their_changes() {
        // 200 sign-ins, then each session's first page: one read, not one per session.
        let (cache, clock) = cache::<&str, usize>(10);
        let reads = AtomicUsize::new(0);
        let read = || async { Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(cache.get_or_read("k", Freshness::Shared, read).await, Ok(1));
        let mut changes = Vec::new();
        for _ in 0..200 {
            clock.advance(Duration::from_millis(20));
            cache.invalidate();
            changes.push(millis(clock.now()));
        }
        clock.advance(Duration::from_millis(20));
        for at in &changes {
            assert_eq!(cache.get_or_read("k", Freshness::Since(*at), read).await, Ok(2));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        // Someone else's change later: those pages still need nothing newer than their own change.
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", Freshness::Since(changes[199]), read).await, Ok(2));
        // A change after the read began: that session reads anew.
        clock.advance(Duration::from_millis(20));
        let mine = millis(clock.now());
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", Freshness::Since(mine), read).await, Ok(3));
    }

    #[tokio::test]
    async fn changes_more_frequent_than_a_read_lasts_still_cost_one_read_per_ttl() {
        // The audit log while people link: an event lands during every read of the log's page.
        let (cache, clock) = cache::<&str, usize>(10);
        let reads = Arc::new(AtomicUsize::new(0));
        let read = || {
            let (cache, reads) = (cache.clone(), reads.clone());
            move || async move {
                cache.invalidate();
                Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
            }
        };
        for _ in 0..25 {
            let _ = cache.get_or_read("k", Freshness::Shared, read()).await;
            clock.advance(Duration::from_secs(1));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 3, "one read per 10 s, not one per page");
    }

    #[tokio::test]
    async fn entries_expire_by_the_clock_and_an_old_one_answers_others_while_one_reads_anew() {
        let (cache, clock) = cache::<&str, usize>(10);
        let read = |v| move || async move { Ok::<_, ()>(v) };
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(1)).await, Ok(1));
        clock.advance(Duration::from_secs(9));
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(2)).await, Ok(1), "within its time");
        clock.advance(Duration::from_secs(2));
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let reader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_read("k", Freshness::SinceChange, || async {
                        let _ = rx.await;
                        Ok::<_, ()>(2)
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(3)).await, Ok(1), "the old entry, at once");
        tx.send(()).unwrap();
        assert_eq!(reader.await.unwrap(), Ok(2));
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(4)).await, Ok(2), "the new one once read");
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(5)).await, Ok(5), "nothing stale after a write");
    }

    #[tokio::test]
    async fn caches_sharing_an_epoch_are_dropped_together() {
        let clock: Arc<dyn Clock> = Arc::new(FakeClock::default());
        let pages: ReadCache<&str, usize> = ReadCache::new(Duration::from_secs(10), clock.clone());
        let rows: ReadCache<u8, &str> = ReadCache::sharing(Duration::from_secs(10), clock.clone(), pages.epoch());
        let alone: ReadCache<u8, &str> = ReadCache::new(Duration::from_secs(10), clock);
        let read = |v| move || async move { Ok::<_, ()>(v) };
        assert_eq!(rows.get_or_read(1, Freshness::SinceChange, read("old")).await, Ok("old"));
        assert_eq!(alone.get_or_read(1, Freshness::SinceChange, read("kept")).await, Ok("kept"));
        pages.invalidate();
        assert_eq!(rows.get_or_read(1, Freshness::SinceChange, read("new")).await, Ok("new"), "dropped by the other cache's change");
        assert_eq!(alone.get_or_read(1, Freshness::SinceChange, read("x")).await, Ok("kept"), "another epoch is untouched");
    }

    #[tokio::test]
    async fn a_stream_of_changes_costs_other_pages_one_read_per_ttl() {
        let (cache, clock) = cache::<&str, usize>(10);
        let reads = AtomicUsize::new(0);
        let read = || async { Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(cache.get_or_read("k", Freshness::Shared, read).await, Ok(1));
        // A change every second for 25 s, a page view between each: three reads, not twenty-five.
        for _ in 0..25 {
            cache.invalidate();
            clock.advance(Duration::from_secs(1));
            let _ = cache.get_or_read("k", Freshness::Shared, read).await;
        }
        assert_eq!(reads.load(Ordering::SeqCst), 3);
        // The viewer of the last change reads since it.
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read).await, Ok(4));
    }

    #[tokio::test]
    async fn after_a_change_only_its_viewer_waits_for_the_new_read() {
        let (cache, clock) = cache::<&str, usize>(10);
        let read = |v| move || async move { Ok::<_, ()>(v) };
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, read(1)).await, Ok(1));
        // Past its time: the next page reads it anew, the others meanwhile get it.
        clock.advance(Duration::from_secs(11));
        cache.invalidate();
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let reader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let slow = || async {
                    let _ = rx.await;
                    Ok::<_, ()>(2)
                };
                cache.get_or_read("k", Freshness::Shared, slow).await
            })
        };
        tokio::task::yield_now().await;
        // Another page meanwhile: the entry from before the change, at once.
        assert_eq!(cache.get_or_read("k", Freshness::Shared, read(3)).await, Ok(1));
        // The page after the change: it waits for the read under way, then reads since the change.
        let viewer = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get_or_read("k", Freshness::SinceChange, || async { Ok::<_, ()>(4) }).await })
        };
        tokio::task::yield_now().await;
        assert!(!viewer.is_finished(), "the viewer of the change does not get the old entry");
        tx.send(()).unwrap();
        assert_eq!(reader.await.unwrap(), Ok(2));
        assert_eq!(viewer.await.unwrap(), Ok(2), "the read that began after the change");
    }

    #[tokio::test]
    async fn failures_and_zero_ttl_keep_nothing_and_the_last_value_outlives_its_time() {
        let (cache, clock) = cache::<&str, usize>(10);
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, || async { Err::<usize, _>("down") }).await, Err("down"));
        assert_eq!(cache.get_or_read("k", Freshness::SinceChange, || async { Ok::<_, &str>(1) }).await, Ok(1));
        clock.advance(Duration::from_secs(3600));
        assert_eq!(cache.last(&"k"), Some(1), "what stands in while the backend is down");
        let off: ReadCache<&str, usize> = ReadCache::new(Duration::ZERO, clock);
        assert_eq!(off.get_or_read("k", Freshness::SinceChange, || async { Ok::<_, ()>(1) }).await, Ok(1));
        assert_eq!(off.get_or_read("k", Freshness::SinceChange, || async { Ok::<_, ()>(2) }).await, Ok(2));
    }
}
