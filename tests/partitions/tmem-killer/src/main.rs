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
//! It aims at calls in flight when it can tell them: while it waits it
//! reads how many frame capabilities the client (partition [`CLIENT`])
//! holds, and a client seen holding fewer than its most is a transfer-mode
//! client whose exchange frame is at the server mid-call. Once it has seen
//! that, after each wait it waits on (at most [`AIM_US`]) until the client
//! holds fewer again — its frame is in the server — and kills then. A
//! copy-mode client's count never drops, so its kills land where the
//! waits end.
//!
//! It never touches the server's memory; a restart the kernel refuses
//! ends the run with an error line.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use test_killer::{Aim, Kills};
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
    /// The client's partition index.
    const CLIENT: u32 = 2;
    /// Shortest and longest wait before a kill, in microseconds of its
    /// own clock.
    const WAIT_US: (u32, u32) = (300, 6_000);
    /// Longest wait, after that, for a transfer-mode client's frame to be
    /// at the server.
    const AIM_US: u32 = 20_000;

    /// What it knows of the client's frame capabilities.
    #[derive(Default)]
    struct Client {
        /// The most it was seen holding.
        most: u32,
        /// Whether it was ever seen holding fewer (a transfer-mode client
        /// mid-call).
        transfers: bool,
    }

    impl Client {
        /// Whether the client now holds fewer frame capabilities than its
        /// most (its exchange frame is at the server), learning as it looks.
        fn mid_call(&mut self, control: PartitionControl) -> bool {
            let Ok(status) = control.status(CLIENT) else {
                return false;
            };
            self.most = self.most.max(status.frames);
            let fewer = status.frames < self.most;
            self.transfers |= fewer;
            fewer
        }

        /// The aim: a call in flight, once the client is known to make
        /// them; anywhere for a client that never does.
        fn aim(&mut self, control: PartitionControl) -> Aim {
            match (self.mid_call(control), self.transfers) {
                (true, _) => Aim::Hit,
                (false, true) => Aim::NotYet,
                (false, false) => Aim::Anywhere,
            }
        }
    }

    fn main(_start: Start) {
        let control = PartitionControl(0);
        let mut client = Client::default();
        let mut aimed = 0;
        let plan = Kills {
            victim: SERVER,
            kills: KILLS,
            seed: SEED,
            wait_us: WAIT_US,
            aim_us: AIM_US,
        };
        let done = plan.run(
            control,
            || client.aim(control),
            |kill| {
                aimed += u32::from(kill.hit);
                defmt::info!(
                    "tmem killer: kill {=u32} after {=u32} us, restart {=u32}{=str}",
                    kill.number,
                    kill.waited_us,
                    kill.restarts,
                    if kill.hit { ", mid-call" } else { "" }
                )
            },
        );
        if let Err(error) = done {
            return defmt::error!("tmem killer: {=str}: {=str}", error.step(), error.name());
        }
        defmt::info!("tmem killer: {=u32} kills, every one restarted", KILLS);
        defmt::info!(
            "tmem killer: {=u32} kills found the client's frame at the server",
            aimed
        );
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-tmem-killer is a partition for the system tests");
}
