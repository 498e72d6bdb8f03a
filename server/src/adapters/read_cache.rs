//! Reads shared by every request of this process for a short while: a page that 200 admins open
//! at once costs one backend read, not 200. An entry lives `ttl`; [`ReadCache::invalidate`] (called
//! by every write this instance makes to what the entries hold) drops them all, and a read that
//! was under way across an invalidation is returned to its caller but not kept. Concurrent misses
//! of one key wait for a single read (the others then find its answer). An entry past its `ttl`
//! is read again by one caller while the others are answered with it for up to another `ttl`:
//! nobody but that caller waits for a refresh. After an invalidation, the same holds for pages that
//! do not show a change their viewer just made (`app::ports::AFTER_CHANGE` false); the page after a
//! change, and every read outside a page, waits for data read since the change.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A count of changes that several caches share: invalidating one of them drops what every one
/// holds (the registry overview, each workspace's page and the users pages' rows, say).
#[derive(Clone, Debug, Default)]
pub struct Epoch(Arc<AtomicU64>);

impl Epoch {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct ReadCache<K, V> {
    ttl: Duration,
    epoch: Epoch,
    state: Arc<Mutex<State<K, V>>>,
}

impl<K, V> Clone for ReadCache<K, V> {
    fn clone(&self) -> Self {
        ReadCache { ttl: self.ttl, epoch: self.epoch.clone(), state: self.state.clone() }
    }
}

impl<K, V> std::fmt::Debug for ReadCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

struct State<K, V> {
    /// Each entry with when it was read and the epoch it was read in: an entry of an older epoch
    /// (an invalidation since, of this cache or one sharing its epoch) is neither used nor kept.
    entries: HashMap<K, (Instant, u64, V)>,
    /// One lock per key being read, so concurrent misses make one read.
    reads: HashMap<K, Arc<tokio::sync::Mutex<()>>>,
}

/// More keys than this and the cache starts afresh (entries are cheap to read again).
const MAX_ENTRIES: usize = 10_000;

impl<K: Eq + Hash + Clone, V: Clone> ReadCache<K, V> {
    /// A cache keeping entries for `ttl`; zero keeps nothing (every call reads).
    pub fn new(ttl: Duration) -> Self {
        Self::sharing(ttl, &Epoch::default())
    }

    /// A cache that any invalidation of `epoch` (through any cache sharing it) empties.
    pub fn sharing(ttl: Duration, epoch: &Epoch) -> Self {
        ReadCache { ttl, epoch: epoch.clone(), state: Arc::new(Mutex::new(State { entries: HashMap::new(), reads: HashMap::new() })) }
    }

    /// The epoch this cache's entries belong to, for other caches to share.
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    /// The entry for `key` if it was read this epoch and less than `age` ago.
    fn within(&self, key: &K, age: Duration) -> Option<V> {
        let state = self.state.lock().ok()?;
        let epoch = self.epoch.now();
        state.entries.get(key).filter(|(at, e, _)| *e == epoch && at.elapsed() < age).map(|(_, _, v)| v.clone())
    }

    fn fresh(&self, key: &K) -> Option<V> {
        self.within(key, self.ttl)
    }

    /// An entry past its time but within twice it, good enough while another caller reads anew:
    /// of this epoch, or (`any_epoch`) of any.
    fn stale(&self, key: &K, any_epoch: bool) -> Option<V> {
        if !any_epoch {
            return self.within(key, self.ttl * 2);
        }
        let state = self.state.lock().ok()?;
        state.entries.get(key).filter(|(at, _, _)| at.elapsed() < self.ttl * 2).map(|(_, _, v)| v.clone())
    }

    /// The entry for `key`, or `read()`'s answer (kept if it succeeded and nothing was invalidated
    /// meanwhile).
    pub async fn get_or_read<E, F, Fut>(&self, key: K, read: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return read().await;
        }
        if let Some(v) = self.fresh(&key) {
            return Ok(v);
        }
        // (The guard must be gone before any await: the future is sent between threads.)
        let lock = self.state.lock().ok().map(|mut s| s.reads.entry(key.clone()).or_default().clone());
        let Some(lock) = lock else { return read().await };
        let after_change = app::ports::AFTER_CHANGE.try_with(|v| *v).unwrap_or(true);
        let _turn = match (lock.try_lock(), self.stale(&key, !after_change)) {
            (Ok(turn), _) => turn,
            // Someone is reading it anew: answer with the entry it replaces.
            (Err(_), Some(stale)) => return Ok(stale),
            (Err(_), None) => lock.lock().await,
        };
        // Another caller may have read it while this one waited.
        if let Some(v) = self.fresh(&key) {
            return Ok(v);
        }
        let epoch = self.epoch.now();
        let value = read().await?;
        if let Ok(mut s) = self.state.lock() {
            if self.epoch.now() == epoch {
                if s.entries.len() >= MAX_ENTRIES {
                    s.entries.clear();
                }
                s.entries.insert(key.clone(), (Instant::now(), epoch, value.clone()));
            }
            s.reads.remove(&key);
        }
        Ok(value)
    }

    /// Starts a new epoch (for every cache sharing this one's): no entry read before is fresh any
    /// more, and none of the reads under way is kept. Old entries stay only to answer pages that
    /// may show them while one caller reads anew.
    pub fn invalidate(&self) {
        self.epoch.bump();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_misses_make_one_read() {
        let cache: ReadCache<&str, usize> = ReadCache::new(Duration::from_secs(10));
        let reads = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, reads) = (cache.clone(), reads.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_read("page", || async {
                            reads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, ()>(7)
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_invalidation_drops_entries_and_the_read_under_way() {
        let cache: ReadCache<&str, usize> = ReadCache::new(Duration::from_secs(10));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(1) }).await, Ok(1));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(2) }).await, Ok(1), "kept");
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(3) }).await, Ok(3), "read again after a write");
        // A read that started before a write is answered but not kept.
        let c = cache.clone();
        cache.invalidate();
        let v = cache
            .get_or_read("k", || async move {
                c.invalidate();
                Ok::<_, ()>(4)
            })
            .await;
        assert_eq!(v, Ok(4));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(5) }).await, Ok(5));
    }

    #[tokio::test]
    async fn an_expired_entry_answers_others_while_one_reads_it_anew() {
        let cache: ReadCache<&str, usize> = ReadCache::new(Duration::from_millis(50));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(1) }).await, Ok(1));
        tokio::time::sleep(Duration::from_millis(60)).await;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let reader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_read("k", || async {
                        let _ = rx.await;
                        Ok::<_, ()>(2)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(3) }).await, Ok(1), "the old entry, at once");
        tx.send(()).unwrap();
        assert_eq!(reader.await.unwrap(), Ok(2));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(4) }).await, Ok(2), "the new one once read");
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(5) }).await, Ok(5), "nothing stale after a write");
    }

    #[tokio::test]
    async fn caches_sharing_an_epoch_are_dropped_together() {
        let pages: ReadCache<&str, usize> = ReadCache::new(Duration::from_secs(10));
        let rows: ReadCache<u8, &str> = ReadCache::sharing(Duration::from_secs(10), pages.epoch());
        let alone: ReadCache<u8, &str> = ReadCache::new(Duration::from_secs(10));
        assert_eq!(rows.get_or_read(1, || async { Ok::<_, ()>("old") }).await, Ok("old"));
        assert_eq!(alone.get_or_read(1, || async { Ok::<_, ()>("kept") }).await, Ok("kept"));
        pages.invalidate();
        assert_eq!(rows.get_or_read(1, || async { Ok::<_, ()>("new") }).await, Ok("new"), "dropped by the other cache's change");
        assert_eq!(alone.get_or_read(1, || async { Ok::<_, ()>("x") }).await, Ok("kept"), "another epoch is untouched");
    }

    #[tokio::test]
    async fn after_a_change_only_its_viewer_waits_for_the_new_read() {
        let cache: ReadCache<&str, usize> = ReadCache::new(Duration::from_secs(10));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(1) }).await, Ok(1));
        cache.invalidate();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let reader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let read = || async {
                    let _ = rx.await;
                    Ok::<_, ()>(2)
                };
                app::ports::AFTER_CHANGE.scope(false, cache.get_or_read("k", read)).await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Another page meanwhile: the entry from before the change, at once.
        let other = app::ports::AFTER_CHANGE.scope(false, cache.get_or_read("k", || async { Ok::<_, ()>(3) })).await;
        assert_eq!(other, Ok(1));
        // The page after the change: it waits for the read under way, then reads since the change.
        let viewer = {
            let cache = cache.clone();
            tokio::spawn(async move { app::ports::AFTER_CHANGE.scope(true, cache.get_or_read("k", || async { Ok::<_, ()>(4) })).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!viewer.is_finished(), "the viewer of the change does not get the old entry");
        tx.send(()).unwrap();
        assert_eq!(reader.await.unwrap(), Ok(2));
        assert_eq!(viewer.await.unwrap(), Ok(2), "the read that began after the change");
        // Outside a page (a change's own reads): never the old epoch.
        cache.invalidate();
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, ()>(5) }).await, Ok(5));
    }

    #[tokio::test]
    async fn failures_and_zero_ttl_keep_nothing() {
        let cache: ReadCache<&str, usize> = ReadCache::new(Duration::from_secs(10));
        assert_eq!(cache.get_or_read("k", || async { Err::<usize, _>("down") }).await, Err("down"));
        assert_eq!(cache.get_or_read("k", || async { Ok::<_, &str>(1) }).await, Ok(1));
        let off: ReadCache<&str, usize> = ReadCache::new(Duration::ZERO);
        assert_eq!(off.get_or_read("k", || async { Ok::<_, ()>(1) }).await, Ok(1));
        assert_eq!(off.get_or_read("k", || async { Ok::<_, ()>(2) }).await, Ok(2));
    }
}
