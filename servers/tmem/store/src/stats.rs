//! Operation counters (global, per client, per pool) and usage gauges.
//!
//! Counters only ever increase (wrapping at 2^64 is not a concern in
//! practice); they never influence what the store does.

/// Cumulative operation counters. The same shape is kept globally, per client
/// and per pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpStats {
    /// `put_page` calls that reached a pool.
    pub puts: u64,
    /// Puts that stored the page.
    pub good_puts: u64,
    /// Puts to an occupied handle that replaced the old copy.
    pub duplicate_puts_replaced: u64,
    /// Puts to an occupied handle that failed and removed the old copy.
    pub duplicate_puts_flushed: u64,
    /// `get_page` calls that reached a pool.
    pub gets: u64,
    /// Gets that returned a page.
    pub found_gets: u64,
    /// `flush_page` calls that reached a pool.
    pub flushes: u64,
    /// Flushes that removed a page.
    pub found_flushes: u64,
    /// `flush_object` calls that reached a pool.
    pub object_flushes: u64,
    /// Ephemeral pages dropped to make room or by a control flush.
    pub evictions: u64,
    /// Good puts stored compressed.
    pub compressed_puts: u64,
    /// Sum of the compressed sizes of those puts, in bytes.
    pub compressed_bytes: u64,
    /// Good puts of an all-zero page (stored without a frame).
    pub zero_puts: u64,
    /// Good puts that found identical content in the sharing domain and
    /// stored a reference to it instead of a copy.
    pub shared_puts: u64,
}

/// Which counter to bump.
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    Puts,
    GoodPuts,
    DuplicateReplaced,
    DuplicateFlushed,
    Gets,
    FoundGets,
    Flushes,
    FoundFlushes,
    ObjectFlushes,
    Evictions,
    ZeroPuts,
    SharedPuts,
}

impl OpStats {
    pub(crate) fn bump(&mut self, counter: Counter) {
        let field = match counter {
            Counter::Puts => &mut self.puts,
            Counter::GoodPuts => &mut self.good_puts,
            Counter::DuplicateReplaced => &mut self.duplicate_puts_replaced,
            Counter::DuplicateFlushed => &mut self.duplicate_puts_flushed,
            Counter::Gets => &mut self.gets,
            Counter::FoundGets => &mut self.found_gets,
            Counter::Flushes => &mut self.flushes,
            Counter::FoundFlushes => &mut self.found_flushes,
            Counter::ObjectFlushes => &mut self.object_flushes,
            Counter::Evictions => &mut self.evictions,
            Counter::ZeroPuts => &mut self.zero_puts,
            Counter::SharedPuts => &mut self.shared_puts,
        };
        *field = field.wrapping_add(1);
    }

    pub(crate) fn add_compressed(&mut self, bytes: usize) {
        self.compressed_puts = self.compressed_puts.wrapping_add(1);
        self.compressed_bytes = self.compressed_bytes.wrapping_add(bytes as u64);
    }
}

/// What the store holds right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Frames the provider gave the store.
    pub frames_total: u32,
    /// Frames holding nothing.
    pub frames_free: u32,
    /// Frames holding one uncompressed page.
    pub frames_whole: u32,
    /// Frames cut into slots for compressed pages.
    pub frames_packed: u32,
    /// Ephemeral pages (handles) stored.
    pub ephemeral_pages: u64,
    /// Persistent pages (handles) stored.
    pub persistent_pages: u64,
    /// Pages that are all zeros (no frame).
    pub zero_pages: u64,
    /// Distinct stored contents (each in a frame or a slot).
    pub contents: u32,
    /// Pages whose content is also referenced by another page.
    pub shared_pages: u64,
    /// Metadata capacity in pages ([`Config::max_pages`](crate::Config::max_pages)).
    pub max_pages: u32,
}

/// Per-client gauges and settings, as returned by
/// [`Store::client_info`](crate::Store::client_info).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// Ephemeral pages charged to the client.
    pub ephemeral_pages: u64,
    /// Persistent pages charged to the client.
    pub persistent_pages: u64,
    /// Fair-share weight.
    pub weight: u32,
    /// Persistent-page cap.
    pub persistent_cap: u32,
    /// Whether new puts are compressed.
    pub compress: bool,
    /// Whether puts are refused.
    pub frozen: bool,
    /// Pools the client has open.
    pub open_pools: u32,
}
