//! Claim 1 (whisper-rs `create_state` race), the seed's proposed fix as a
//! loom model: <https://codeberg.org/tazz4843/whisper-rs> (seed, option 2:
//! an internal mutex that serialises `create_state`, released before the
//! long `full` call).
//!
//! What this checks: the Rust protocol only. The context's shared
//! bookkeeping is modelled as a `loom::cell::UnsafeCell` that `create_state`
//! mutates; each state's inference touches only its own data. Loom explores
//! every interleaving of two workers and fails on a concurrent access to the
//! cell or on a deadlock. It does NOT see whisper.cpp or ggml: loom cannot
//! look behind FFI, so whether the C library really needs the lock is for
//! the race repro and the sanitizer run to decide.

use loom::cell::UnsafeCell;
use loom::sync::{Arc, Mutex};
use loom::thread;

/// The context's bookkeeping that `whisper_init_state` would touch.
struct Context {
    states_created: UnsafeCell<usize>,
    guard: Option<Mutex<()>>,
}

/// A decoding state: owned by one worker.
struct State {
    id: usize,
    tokens: Vec<usize>,
}

impl Context {
    fn new(with_guard: bool) -> Self {
        Context { states_created: UnsafeCell::new(0), guard: with_guard.then(|| Mutex::new(())) }
    }

    fn create_state(&self) -> State {
        // The lock is held only while the shared bookkeeping changes.
        let _held = self.guard.as_ref().map(|m| m.lock().unwrap());
        // SAFETY: loom's `UnsafeCell::with_mut` hands out the only pointer;
        // racing on it is exactly what loom is asked to find (it reports a
        // data race rather than let the test pass).
        let id = self.states_created.with_mut(|n| unsafe {
            *n += 1;
            *n
        });
        State { id, tokens: Vec::new() }
    }
}

impl State {
    /// `full`: long, and touching only this state's memory, outside the lock.
    fn full(&mut self, input: usize) {
        self.tokens.push(input * 10 + self.id);
    }
}

fn two_workers(with_guard: bool) {
    let ctx = Arc::new(Context::new(with_guard));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let ctx = Arc::clone(&ctx);
            thread::spawn(move || {
                let mut st = ctx.create_state();
                st.full(w);
                st.id
            })
        })
        .collect();
    let mut ids: Vec<usize> = workers.into_iter().map(|h| h.join().unwrap()).collect();
    ids.sort();
    // Exclusivity: every state got its own id.
    assert_eq!(ids, vec![1, 2]);
}

#[test]
fn whisper_rs_race_seed_fix_serialises_create_state_without_deadlock() {
    loom::model(|| two_workers(true));
}

/// The control: without the guard loom must find the unsynchronised access,
/// or the model above would prove nothing.
#[test]
#[should_panic(expected = "Causality violation")]
fn whisper_rs_race_model_detects_unguarded_create_state() {
    loom::model(|| two_workers(false));
}
