//! Sharing a model instance between file workers, the three ways a scenario
//! can choose: one instance behind a `Mutex` (the seed's design), one per
//! worker, or a pool. Every acquisition records how long it waited, so the
//! run can say which lock limits it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

pub use crate::evidence::run::ResourceStats;
use crate::scenario::Sharing;

/// Builds an instance (a session, a Whisper state), or fails with the
/// loader's own error `E`.
pub type Factory<T, E> = Arc<dyn Fn() -> Result<T, E> + Send + Sync>;

/// Told `true` when a caller has to queue for an instance another caller
/// holds, and `false` when it got one (the watchdog's way to tell a queued
/// worker from a hung one).
pub type WaitHook = Arc<dyn Fn(bool) + Send + Sync>;

#[derive(Debug, Default)]
struct Counters {
    acquisitions: AtomicU64,
    wait_ns: AtomicU64,
    max_wait_ns: AtomicU64,
    instances: AtomicU64,
}

enum Kind<T, E> {
    Mutex(Mutex<T>),
    Pool { items: Mutex<Vec<T>>, ready: Condvar },
    PerWorker(Factory<T, E>),
}

/// A resource shared according to a scenario's `sharing`; `E` is what
/// building an instance fails with.
pub struct Shared<T, E> {
    sharing: Sharing,
    kind: Kind<T, E>,
    counters: Counters,
}

impl<T, E> std::fmt::Debug for Shared<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("sharing", &self.sharing).finish_non_exhaustive()
    }
}

impl<T: Send, E> Shared<T, E> {
    /// Builds the shared instances now (mutex: one; pool: `pool_size`;
    /// per-worker: none until a worker asks), so load errors surface before
    /// any file starts.
    pub fn new(sharing: Sharing, pool_size: usize, factory: Factory<T, E>) -> Result<Arc<Self>, E> {
        let counters = Counters::default();
        let kind = match sharing {
            Sharing::Mutex => {
                counters.instances.store(1, Ordering::Relaxed);
                Kind::Mutex(Mutex::new(factory()?))
            }
            Sharing::Pool => {
                let items = (0..pool_size).map(|_| factory()).collect::<Result<Vec<_>, _>>()?;
                counters.instances.store(items.len() as u64, Ordering::Relaxed);
                Kind::Pool { items: Mutex::new(items), ready: Condvar::new() }
            }
            Sharing::PerWorker => Kind::PerWorker(factory),
        };
        Ok(Arc::new(Shared { sharing, kind, counters }))
    }

    /// A worker's handle: for per-worker sharing this builds the worker's
    /// own instance.
    pub fn handle(self: &Arc<Self>) -> Result<Handle<T, E>, E> {
        match &self.kind {
            Kind::PerWorker(f) => {
                self.counters.instances.fetch_add(1, Ordering::Relaxed);
                Ok(Handle { shared: Arc::clone(self), own: Some(f()?), on_wait: None })
            }
            _ => Ok(Handle { shared: Arc::clone(self), own: None, on_wait: None }),
        }
    }

    /// As `handle`, telling `on_wait` whenever the caller has to queue.
    pub fn handle_watched(self: &Arc<Self>, on_wait: WaitHook) -> Result<Handle<T, E>, E> {
        let mut h = self.handle()?;
        h.on_wait = Some(on_wait);
        Ok(h)
    }

    fn waited(&self, since: Instant) {
        let ns = since.elapsed().as_nanos() as u64;
        self.counters.acquisitions.fetch_add(1, Ordering::Relaxed);
        self.counters.wait_ns.fetch_add(ns, Ordering::Relaxed);
        self.counters.max_wait_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// Counters so far.
    pub fn stats(&self) -> ResourceStats {
        ResourceStats {
            sharing: self.sharing,
            instances: self.counters.instances.load(Ordering::Relaxed),
            acquisitions: self.counters.acquisitions.load(Ordering::Relaxed),
            lock_wait_s: self.counters.wait_ns.load(Ordering::Relaxed) as f64 / 1e9,
            max_wait_s: self.counters.max_wait_ns.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

/// A worker's access to a shared resource.
pub struct Handle<T, E> {
    shared: Arc<Shared<T, E>>,
    own: Option<T>,
    on_wait: Option<WaitHook>,
}

impl<T: Send, E> Handle<T, E> {
    fn queued(&self, waiting: bool) {
        if let Some(hook) = &self.on_wait {
            hook(waiting);
        }
    }

    /// Runs `f` with an instance: the worker's own, the locked one, or one
    /// checked out of the pool (returned afterwards, also on panic).
    pub fn with<R>(&mut self, f: impl FnOnce(&mut T) -> R) -> R {
        let s = &*self.shared;
        let t0 = Instant::now();
        match (&s.kind, self.own.as_mut()) {
            (Kind::PerWorker(_), Some(own)) => {
                s.waited(t0);
                f(own)
            }
            (Kind::Mutex(m), _) => {
                let mut guard = match m.try_lock() {
                    Ok(g) => g,
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => {
                        self.queued(true);
                        let g = m.lock().unwrap_or_else(|p| p.into_inner());
                        self.queued(false);
                        g
                    }
                };
                s.waited(t0);
                f(&mut guard)
            }
            (Kind::Pool { items, ready }, _) => {
                let item = {
                    let mut g = items.lock().unwrap_or_else(|p| p.into_inner());
                    let mut queued = false;
                    let it = loop {
                        if let Some(it) = g.pop() {
                            break it;
                        }
                        if !queued {
                            queued = true;
                            self.queued(true);
                        }
                        g = ready.wait(g).unwrap_or_else(|p| p.into_inner());
                    };
                    if queued {
                        self.queued(false);
                    }
                    it
                };
                s.waited(t0);
                struct Return<'a, T> {
                    item: Option<T>,
                    items: &'a Mutex<Vec<T>>,
                    ready: &'a Condvar,
                }
                impl<T> Drop for Return<'_, T> {
                    fn drop(&mut self) {
                        if let Some(it) = self.item.take() {
                            self.items.lock().unwrap_or_else(|p| p.into_inner()).push(it);
                            self.ready.notify_one();
                        }
                    }
                }
                // The guard owns the instance during the call, so a panic in
                // `f` still returns it to the pool.
                let mut ret = Return { item: Some(item), items, ready };
                let out = f(ret.item.as_mut().expect("checked out above"));
                drop(ret);
                out
            }
            (Kind::PerWorker(_), None) => unreachable!("per-worker handles own their instance"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter_factory() -> Factory<u32, std::convert::Infallible> {
        let n = Arc::new(AtomicU64::new(0));
        Arc::new(move || Ok(n.fetch_add(1, Ordering::Relaxed) as u32))
    }

    #[test]
    fn mutex_shares_one_instance_and_pool_hands_out_all() {
        let m = Shared::new(Sharing::Mutex, 0, counter_factory()).unwrap();
        let (mut a, mut b) = (m.handle().unwrap(), m.handle().unwrap());
        assert_eq!(a.with(|v| *v), b.with(|v| *v));
        assert_eq!(m.stats().instances, 1);

        let p = Shared::new(Sharing::Pool, 3, counter_factory()).unwrap();
        let mut h = p.handle().unwrap();
        let seen: std::collections::BTreeSet<u32> = (0..3).map(|_| h.with(|v| *v)).collect();
        assert_eq!(p.stats().instances, 3);
        assert_eq!(p.stats().acquisitions, 3);
        assert!(!seen.is_empty());
    }

    #[test]
    fn per_worker_builds_one_instance_per_handle() {
        let w = Shared::new(Sharing::PerWorker, 0, counter_factory()).unwrap();
        let (mut a, mut b) = (w.handle().unwrap(), w.handle().unwrap());
        assert_ne!(a.with(|v| *v), b.with(|v| *v));
        assert_eq!(w.stats().instances, 2);
    }

    #[test]
    fn a_caller_that_has_to_queue_is_told_so_and_one_that_does_not_is_not() {
        let m = Shared::new(Sharing::Mutex, 0, counter_factory()).unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let hook: WaitHook = {
            let events = Arc::clone(&events);
            Arc::new(move |w| events.lock().unwrap().push(w))
        };
        let mut a = m.handle_watched(Arc::clone(&hook)).unwrap();
        a.with(|_| ());
        assert!(events.lock().unwrap().is_empty(), "uncontended: no queueing");
        let mut b = m.handle_watched(hook).unwrap();
        let (held, release) = (Arc::new(std::sync::Barrier::new(2)), Arc::new(std::sync::Barrier::new(2)));
        std::thread::scope(|sc| {
            let (held2, release2) = (Arc::clone(&held), Arc::clone(&release));
            sc.spawn(move || {
                a.with(|_| {
                    held2.wait();
                    release2.wait();
                })
            });
            held.wait();
            sc.spawn(|| b.with(|_| ()));
            // b queues behind a; wait until it says so, then release a.
            while events.lock().unwrap().is_empty() {
                std::thread::yield_now();
            }
            release.wait();
        });
        assert_eq!(*events.lock().unwrap(), vec![true, false]);
    }

    #[test]
    fn pool_returns_an_instance_even_when_the_call_panics() {
        let p = Shared::new(Sharing::Pool, 1, counter_factory()).unwrap();
        let mut h = p.handle().unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.with(|_| panic!("boom"))));
        assert!(r.is_err());
        assert_eq!(h.with(|v| *v), 0, "the single instance came back");
    }
}
