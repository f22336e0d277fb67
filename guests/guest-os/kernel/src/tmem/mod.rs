//! guest-mm's tmem ports over `tmem-client`: [`TmemFrontswap`] (the
//! persistent pool swap pages go to) and [`TmemCleancache`] (the ephemeral
//! pool dropped file pages go to), both over one connection to the tmem
//! server.
//!
//! guest-mm borrows the two ports at once for an operation, while
//! `tmem-client`'s frontends borrow the transport for each call; so both
//! adapters hold the transport through one `RefCell`, borrowed only for
//! the length of one tmem call (calls never nest, so the borrow never
//! fails). Neither adapter may report a page stored or found that the
//! server did not confirm.

pub mod cleancache;
pub mod frontswap;

pub use cleancache::TmemCleancache;
pub use frontswap::TmemFrontswap;
