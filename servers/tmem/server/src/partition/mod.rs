//! The server partition: thread 0 sets up the store and serves clients on
//! the service endpoint; thread 1 serves the manager on the control
//! endpoint. Both are passive (they run on their callers' time) and share
//! the service behind a critical section.
//!
//! This module only moves messages, frames and mappings; every decision
//! is the library's. It must never block while holding the lock.

mod client_pages;
mod control_loop;
mod kept;
mod pool;
mod pool_moves;
mod service_loop;
mod setup;

use core::cell::RefCell;

use critical_section::Mutex;
use tmem_server::pool_moves::PoolMoves;
use tmem_server::{Service, MAX_CLIENTS};
use userlib::Start;

use pool::PoolFrames;

userlib::entry!(main, heap_kib = 192);

/// A client's window as this partition maps it.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Where it is mapped.
    pub address: u32,
    /// Its size in bytes.
    pub len: usize,
}

/// What both threads share.
pub struct State {
    /// The store and its clients.
    pub service: Service<PoolFrames>,
    /// Each client's window (index: client number - 1).
    pub windows: [Option<Window>; MAX_CLIENTS],
    /// Frame capabilities this partition held at boot, and those kept
    /// from callers gone since, by its own accounting (frames moved with
    /// the manager are `moves`').
    pub frames_held: u32,
    /// Where frames the manager gives land, and the net count moved.
    pub moves: PoolMoves,
}

/// Set once by thread 0's setup.
static STATE: Mutex<RefCell<Option<State>>> = Mutex::new(RefCell::new(None));

/// Runs `f` on the state, if setup has finished.
pub fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    critical_section::with(|cs| STATE.borrow_ref_mut(cs).as_mut().map(f))
}

fn main(start: Start) {
    match start.thread {
        0 => match setup::run() {
            Ok(state) => {
                critical_section::with(|cs| *STATE.borrow_ref_mut(cs) = Some(state));
                service_loop::run();
            }
            Err(error) => defmt::error!("tmem server not started: {=str}", error),
        },
        1 => control_loop::run(start.thread),
        other => defmt::error!("tmem server: thread {=u32} has no role", other),
    }
}
