//! The shape of a system description file, as serde reads it. Unknown
//! keys are errors, so a misspelt field is never silently ignored. Nothing
//! here judges whether the values make sense: that is `validate`.

use serde::Deserialize;

/// A whole description file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// System-wide settings.
    #[serde(default)]
    pub system: SystemSection,
    /// The time-window schedule.
    pub schedule: ScheduleSection,
    /// The partitions, in order (`[[partition]]`).
    #[serde(rename = "partition", default)]
    pub partitions: Vec<PartitionSection>,
    /// Shared memory regions (`[[shared_memory]]`).
    #[serde(rename = "shared_memory", default)]
    pub shared: Vec<SharedSection>,
    /// Device regions (`[[device]]`).
    #[serde(rename = "device", default)]
    pub devices: Vec<DeviceSection>,
    /// IPC endpoints (`[[endpoint]]`).
    #[serde(rename = "endpoint", default)]
    pub endpoints: Vec<NamedObject>,
    /// Notifications (`[[notification]]`).
    #[serde(rename = "notification", default)]
    pub notifications: Vec<NamedObject>,
    /// Frames (`[[frame]]`): RAM handed out as frame capabilities.
    #[serde(rename = "frame", default)]
    pub frames: Vec<FrameSection>,
    /// Interrupt lines bound to notifications (`[[irq]]`).
    #[serde(rename = "irq", default)]
    pub irqs: Vec<IrqSection>,
    /// The tmem server's clients (`[tmem]`), if the system has one.
    #[serde(default)]
    pub tmem: Option<TmemSection>,
    /// SD card disks and their clients' regions (`[[disk]]`).
    #[serde(rename = "disk", default)]
    pub disks: Vec<DiskSection>,
}

/// `[[disk]]`: an SD card, the block server partition that drives it, its
/// device model and the clients' regions. xtask turns it into the server's
/// `argument` and the disk image `run-qemu` attaches.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiskSection {
    /// The block server partition.
    pub server: String,
    /// The device latency model (`none` unless given).
    #[serde(default)]
    pub model: Option<String>,
    /// The clients' regions; client `k` (its badge) is the `k`-th.
    pub regions: Vec<DiskRegionSection>,
}

/// One client's region of a disk.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiskRegionSection {
    /// The client partition.
    pub client: String,
    /// What the client uses it for (`swap`, `fs`, ...): a label.
    #[serde(rename = "use", default)]
    pub purpose: Option<String>,
    /// Its size.
    pub size_mib: u32,
    /// How its blocks travel (`copy` unless given).
    #[serde(default)]
    pub mode: Option<TmemMode>,
}

/// `[tmem]`: which partition is the tmem server and who its clients are.
/// xtask turns it into the server's `argument`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TmemSection {
    /// The server partition.
    pub server: String,
    /// The UUID of the one shared pool (1 to 255), if there is one.
    #[serde(default)]
    pub shared_pool: Option<u32>,
    /// The clients; client `k` (its badge) is the `k`-th, from 1.
    pub clients: Vec<TmemClientSection>,
}

/// One tmem client.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TmemClientSection {
    /// The client partition.
    pub partition: String,
    /// How its pages travel.
    pub mode: TmemMode,
    /// Whether it may join the shared pool.
    #[serde(default)]
    pub shared: bool,
    /// The most persistent (frontswap) pages it may keep in tmem at once,
    /// as Xen's per-client tmem cap: past it, puts are refused and its
    /// guest swaps to its own device. No cap unless given.
    #[serde(default)]
    pub persistent_cap_pages: Option<u32>,
}

/// A tmem exchange mode.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TmemMode {
    /// Pages travel in the shared window.
    Copy,
    /// The client's frame is lent for each call.
    GrantMap,
    /// Frames change hands (page flipping).
    Transfer,
}

/// `[[irq]]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IrqSection {
    /// GIC interrupt ID (32 or more: a shared peripheral interrupt).
    pub number: u32,
    /// The notification it signals.
    pub notification: String,
    /// The bits it ORs in.
    pub bits: u32,
}

/// `[[frame]]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrameSection {
    /// Unique name.
    pub name: String,
    /// Size: KiB, or `"rest"` for all RAM no one else is given (the kernel
    /// sizes it at boot from the RAM it finds; at most one such frame).
    pub size_kib: FrameSize,
}

/// A frame's `size_kib`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "FrameSizeField")]
pub enum FrameSize {
    /// This many KiB.
    Kib(u32),
    /// All RAM left once everything else has its share.
    Rest,
}

impl FrameSize {
    /// KiB the description itself fixes: none for [`FrameSize::Rest`].
    pub fn fixed_kib(self) -> u32 {
        match self {
            FrameSize::Kib(kib) => kib,
            FrameSize::Rest => 0,
        }
    }
}

/// What a `size_kib` may be written as.
#[derive(Deserialize)]
#[serde(untagged)]
enum FrameSizeField {
    Kib(u32),
    Word(String),
}

impl TryFrom<FrameSizeField> for FrameSize {
    type Error = String;

    fn try_from(field: FrameSizeField) -> Result<FrameSize, String> {
        match field {
            FrameSizeField::Kib(kib) => Ok(FrameSize::Kib(kib)),
            FrameSizeField::Word(word) if word == "rest" => Ok(FrameSize::Rest),
            FrameSizeField::Word(word) => Err(format!(
                "size_kib is a number of KiB or \"rest\", not \"{word}\""
            )),
        }
    }
}

/// An endpoint or notification: the kernel object has only a name.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NamedObject {
    /// Unique name among objects of its kind.
    pub name: String,
}

/// A capability a partition starts with (`caps = [...]`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CapSection {
    /// Slot in the partition's capability space.
    pub slot: u16,
    /// The endpoint it refers to (exactly one of this and `notification`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The notification it refers to.
    #[serde(default)]
    pub notification: Option<String>,
    /// The frame it refers to.
    #[serde(default)]
    pub frame: Option<String>,
    /// The interrupt line it acknowledges (bound in an `[[irq]]`).
    #[serde(default)]
    pub irq: Option<u32>,
    /// Control over every partition: `read` queries, `write` stops.
    #[serde(default)]
    pub partition_control: bool,
    /// Rights: for endpoints `read` = receive, `write` = send/call,
    /// `grant` = pass capabilities; for notifications `read` = wait/poll,
    /// `write` = signal; for frames `execute` = map executable.
    pub rights: Vec<Right>,
    /// Badge a receiver learns (endpoints only).
    #[serde(default)]
    pub badge: u32,
}

/// One right.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Right {
    /// Receive / wait.
    Read,
    /// Send, call / signal.
    Write,
    /// Pass capabilities along.
    Grant,
    /// Map a frame executable (into a guest address space).
    Execute,
    /// Restart a stopped partition (on `partition_control` only).
    Restart,
}

impl CapSection {
    /// How many of `endpoint`, `notification` and `frame` are given.
    pub fn objects_named(&self) -> usize {
        [
            self.endpoint.is_some(),
            self.notification.is_some(),
            self.frame.is_some(),
            self.irq.is_some(),
            self.partition_control,
        ]
        .iter()
        .filter(|&&named| named)
        .count()
    }
}

fn default_cap_slots() -> u16 {
    16
}

/// `[system]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SystemSection {
    /// What the system is for, shown by `run-qemu`.
    #[serde(default)]
    pub description: String,
    /// End the run after this many milliseconds (0: when all partitions end).
    #[serde(default)]
    pub stop_after_ms: u32,
    /// Benchmark-only code to build into the kernel.
    #[serde(default)]
    pub kernel_features: Vec<KernelFeature>,
    /// The `[[notification]]` the kernel signals whenever a partition
    /// stops (bit `index % 32`), for a supervisor to wait on.
    #[serde(default)]
    pub stop_notification: Option<String>,
}

/// Kernel code a system may ask for; only benchmark systems do.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum KernelFeature {
    /// The in-kernel tmem store behind system call 63, the baseline of
    /// `cargo xtask bench`.
    #[serde(rename = "tmem-baseline")]
    TmemBaseline,
}

impl KernelFeature {
    /// The kernel crate's cargo feature.
    pub const fn cargo_feature(self) -> &'static str {
        match self {
            KernelFeature::TmemBaseline => "tmem-baseline",
        }
    }
}

/// `[schedule]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    /// Length of the major frame.
    pub major_frame_ms: u32,
    /// The windows, in order.
    pub windows: Vec<WindowSection>,
}

/// One window.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WindowSection {
    /// The partition that owns it.
    pub partition: String,
    /// Its length.
    pub duration_ms: u32,
}

/// `[[partition]]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartitionSection {
    /// Unique name.
    pub name: String,
    /// The package whose binary is this partition's ELF.
    #[serde(rename = "crate")]
    pub krate: String,
    /// Memory for its ELF and stacks.
    pub memory_kib: u32,
    /// Its typed configuration (`config = { ... }` or
    /// `[partition.config]`): named fields checked against the type its
    /// crate declares (`system::config`).
    #[serde(default)]
    pub config: Option<toml::Table>,
    /// Its threads.
    pub threads: Vec<ThreadSection>,
    /// A passive partition has no windows: its threads initialise before
    /// the first major frame and then run only on their callers' time.
    #[serde(default)]
    pub passive: bool,
    /// A service (e.g. a block server) runs while others need it: the run
    /// does not wait for it to end. A run ends when every partition that
    /// is neither passive nor a service has ended.
    #[serde(default)]
    pub service: bool,
    /// Slots in its capability space.
    #[serde(default = "default_cap_slots")]
    pub cap_slots: u16,
    /// The capabilities it starts with.
    #[serde(default)]
    pub caps: Vec<CapSection>,
    /// Slot of an endpoint capability (with `write`): page faults of its
    /// threads in the grant window become calls to it, and a frame sent
    /// back in the reply is mapped at the faulting page.
    #[serde(default)]
    pub pager: Option<u16>,
    /// A guest kernel's budget for its processes (`guest = { ... }`).
    #[serde(default)]
    pub guest: Option<GuestSection>,
    /// Whether a supervisor may restart it after it stops, and how often
    /// at most (`restart = { max = 3 }`); absent: never.
    #[serde(default)]
    pub restart: Option<RestartSection>,
}

/// `restart = { max = 3 }`: a partition a supervisor (a partition holding
/// a `partition_control` capability with `restart`) may rebuild from its
/// boot image after it stops, at most `max` times.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RestartSection {
    /// The most restarts, 1 to 255.
    pub max: u32,
}

/// `guest = { address_spaces = 16, threads = 32, page_table_kib = 512 }`:
/// what a guest kernel partition may build processes from, all allocated
/// at boot. Its capabilities to them take consecutive slots from
/// `first_slot` (by default the last slots of its capability space):
/// the address spaces, then the threads.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GuestSection {
    /// Address spaces, each with its own ASID.
    pub address_spaces: u16,
    /// Threads, which start suspended.
    pub threads: u16,
    /// KiB of second-level page tables (1 KiB each) for its address
    /// spaces.
    pub page_table_kib: u32,
    /// The slot of the capability to address space 0.
    #[serde(default)]
    pub first_slot: Option<u16>,
}

/// One thread.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThreadSection {
    /// Name, unique in the partition.
    pub name: String,
    /// Higher runs first.
    pub priority: u8,
    /// Stack size.
    pub stack_kib: u32,
}

/// `[[shared_memory]]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SharedSection {
    /// Unique name.
    pub name: String,
    /// Size.
    pub size_kib: u32,
    /// Where it is mapped.
    pub map: Vec<SharedMapSection>,
}

/// One partition's mapping of a shared region.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SharedMapSection {
    /// The partition.
    pub partition: String,
    /// Virtual address in it.
    pub address: u32,
    /// What it may do.
    pub access: Access,
}

/// Access to a shared region.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
}

/// `[[device]]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeviceSection {
    /// Unique name.
    pub name: String,
    /// The driver partition.
    pub partition: String,
    /// Physical address of the registers.
    pub physical: u32,
    /// Size.
    pub size_kib: u32,
    /// Virtual address in the partition.
    pub address: u32,
}
