//! What the guest OS's programs share: the page pattern every workload
//! writes and checks ([`pattern`], also used by the guest kernel), the
//! system calls ([`sys`]) and the small text formatting a program needs
//! to report ([`report`]), and the runtime a program binary gets from
//! [`program!`] ([`rt`]).
//!
//! A program runs in its own guest address space with nothing but its
//! stack and what it maps: this library must never allocate, and it has
//! no way to reach the guest kernel other than a system call.

#![no_std]
#![warn(missing_docs)]

pub mod pattern;
pub mod report;
pub mod rt;
pub mod sys;
