//! Test partition: the tmem server's killer and supervisor. With a
//! PartitionControl capability in slot 0 (read, write, restart) it stops
//! the tmem server (partition [`SERVER`]) [`KILLS`] times, each after a
//! seeded random wait of its own windows' time — so the server is stopped
//! wherever its client's last window left it, often mid-call — and
//! restarts it at once. It also holds the server's kept frame (slot 1,
//! never mapped): as a second holder it makes the kernel keep the frame's
//! contents across each restart. It logs each kill and a summary, then
//! finishes (its client watches for that).
//!
//! It never touches the server's memory; a restart the kernel refuses
//! ends the run with an error line.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use userlib::ipc::PartitionControl;
    use userlib::Start;

    userlib::entry!(main);

    /// The tmem server's partition index.
    const SERVER: u32 = 0;
    /// How many times it stops the server.
    const KILLS: u32 = 24;
    /// The seed of the waits (a fixed seed: the run repeats under
    /// `-icount`).
    const SEED: u32 = 0x7e3a_91c5;
    /// Shortest and longest wait before a kill, in microseconds of its
    /// own clock.
    const WAIT_US: (u32, u32) = (300, 6_000);

    fn main(_start: Start) {
        let control = PartitionControl(0);
        let mut state = SEED;
        for kill in 1..=KILLS {
            state = xorshift(state);
            let wait = WAIT_US.0 + state % (WAIT_US.1 - WAIT_US.0);
            let until = userlib::syscall::clock_us() + u64::from(wait);
            while userlib::syscall::clock_us() < until {
                userlib::syscall::yield_now();
            }
            if let Err(error) = control.stop(SERVER) {
                return defmt::error!("tmem killer: stop: {=str}", error.name());
            }
            match control.restart(SERVER) {
                Ok(restarts) => defmt::info!(
                    "tmem killer: kill {=u32} after {=u32} us, restart {=u32}",
                    kill,
                    wait,
                    restarts
                ),
                Err(error) => return defmt::error!("tmem killer: restart: {=str}", error.name()),
            }
        }
        defmt::info!("tmem killer: {=u32} kills, every one restarted", KILLS);
    }

    /// Marsaglia's xorshift32: the next of a seeded sequence.
    fn xorshift(mut x: u32) -> u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^ x << 5
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-tmem-killer is a partition for the system tests");
}
