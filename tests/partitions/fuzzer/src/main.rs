//! Test partition: a hostile fuzzer that makes a million or more random
//! and crafted system calls next to victim partitions doing checked work.
//!
//! Its argument is a [`test_fuzzer::Plan`] (seed, number of calls, and
//! whether to end with a deliberate wild pointer). Three threads:
//!
//! - `fuzz` (thread 0) makes the calls: random ones from
//!   [`test_fuzzer::generate`], and every 1,024 of them one of the crafted
//!   scenarios in `partition/scenarios.rs`, whose results are known
//!   exactly. Every result is checked as far as it can be (a valid code,
//!   preserved registers, replies that are exactly what the server
//!   computes, messages only from who can send them); anything else is
//!   logged as unexpected. It ends with `fuzz: seed ..., N system calls
//!   ..., U unexpected` and, if asked, a read of a kernel address.
//! - `helper` (thread 1) serves calls on the fuzzer's own endpoint (self
//!   calls), checks every frame passed to it, and ends when the feeder
//!   says goodbye after the fuzzer is done.
//! - `feeder` (thread 2, lowest priority) sends to the fuzzer's own
//!   endpoint whenever nothing else can run, so that a `recv` the fuzzer
//!   makes on it always completes: a fuzzer that blocked for ever would
//!   hang the test instead of failing it.
//!
//! The fuzzer must never deliberately touch memory it has no capability
//! for except in the final wild-pointer phase, and must never wait for
//! something nobody will do.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-fuzzer is a partition for the system tests");
}
