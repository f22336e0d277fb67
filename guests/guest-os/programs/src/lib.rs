//! What the guest OS's programs share: the page pattern every workload
//! writes and checks ([`pattern`], also used by the guest kernel), the
//! workloads' logic and checkers ([`zipf`] random access, the [`kv`]
//! store, [`file_check`] for file reads; [`tally`] counts what they
//! find; [`rng`] their seeded random numbers), the
//! system calls ([`sys`]) and the small text formatting a program needs
//! to report ([`report`]), and the runtime a program binary gets from
//! [`program!`] ([`rt`]).
//!
//! A program runs in its own guest address space with nothing but its
//! stack and what it maps: this library must never allocate, and it has
//! no way to reach the guest kernel other than a system call.

#![no_std]
#![warn(missing_docs)]

pub mod file_check;
pub mod kv;
pub mod pattern;
pub mod report;
pub mod rng;
pub mod rt;
pub mod sys;
pub mod tally;
pub mod zipf;
