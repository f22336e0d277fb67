//! A CPU-bound partition: counts as fast as it can for `config.run_ms`
//! ([`guest_counter::config::Config`]) milliseconds of wall-clock time, logging its progress every 100 ms, and
//! then reports the total. Partitions given windows in a 1:3 ratio should
//! report counts in that ratio.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use guest_counter::config::Config;
    use userlib::{syscall, Start};

    /// Iterations between two looks at the clock.
    const BATCH: u64 = 1_000;
    /// Progress report interval.
    const REPORT_US: u64 = 100_000;

    userlib::entry!(main);

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("counter: {=str}", error.name()),
        };
        let run_for_us = u64::from(config.run_ms) * 1_000;
        let begin = syscall::clock_us();
        let mut count: u64 = 0;
        let mut next_report = begin + REPORT_US;
        loop {
            for _ in 0..BATCH {
                count = core::hint::black_box(count + 1);
            }
            let now = syscall::clock_us();
            if now >= next_report {
                defmt::info!(
                    "progress: {=u64} after {=u64} ms",
                    count,
                    (now - begin) / 1_000
                );
                next_report += REPORT_US;
            }
            if now - begin >= run_for_us {
                defmt::info!("counted {=u64} in {=u64} ms", count, (now - begin) / 1_000);
                return;
            }
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("guest-counter is a partition: run it with `cargo xtask run-qemu`");
}
