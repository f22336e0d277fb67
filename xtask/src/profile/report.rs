//! A timed window's costs by image, module, function and block, per
//! operation (or page) of its figure, and the text file
//! `target/bench/profile-FIGURE.txt` that shows them; and the cross-check
//! of every figure against the plugin's counts. Arithmetic and text only.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::symbols::Symbolizer;
use super::trace::Trace;
use super::windows::Matched;

/// Instructions and memory bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    /// Instructions executed.
    pub instructions: u64,
    /// Bytes loaded.
    pub loaded: u64,
    /// Bytes stored.
    pub stored: u64,
}

impl Costs {
    fn add(&mut self, other: Costs) {
        self.instructions += other.instructions;
        self.loaded += other.loaded;
        self.stored += other.stored;
    }
}

/// One figure's window, taken apart.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The figure and its window.
    pub matched: Matched,
    /// Everything in the window.
    pub total: Costs,
    /// Block copies: the blocks that move at least [`BULK_BYTES`] bytes
    /// per instruction (load and store multiple of 8 registers), which is
    /// how page contents are copied; the rest of the code moves 1-3.
    pub bulk: Costs,
    /// By image (`kernel` or a partition), most instructions first.
    pub images: Vec<(String, Costs)>,
    /// By image and module (the first two parts of a function's path).
    pub modules: Vec<(String, Costs)>,
    /// By image and function.
    pub functions: Vec<(String, Costs)>,
    /// By block (image, function and address): loops such as a page copy
    /// stand out from the rest of the function they are inlined into.
    pub blocks: Vec<(String, Costs)>,
}

/// Bytes loaded and stored per instruction from which a block counts as
/// a block copy.
pub const BULK_BYTES: u64 = 16;

/// The module a function belongs to: the first two components of its
/// path (`kernel::ipc`), or its whole name when it has no path (or is
/// an address, `[image 0x...]`).
pub fn module_of(function: &str) -> String {
    if function.starts_with('[') {
        return function.to_string();
    }
    let path = function.trim_start_matches('<');
    let end = path.find(['<', '>', ' ', '(', '{']).unwrap_or(path.len());
    let parts: Vec<&str> = path[..end].split("::").filter(|p| !p.is_empty()).collect();
    match parts.len() {
        0 => function.to_string(),
        1 => parts[0].to_string(),
        _ => format!("{}::{}", parts[0], parts[1]),
    }
}

fn sorted(map: HashMap<String, Costs>) -> Vec<(String, Costs)> {
    let mut list: Vec<_> = map.into_iter().collect();
    list.sort_by(|a, b| {
        (b.1.instructions, b.1.loaded + b.1.stored, &a.0).cmp(&(
            a.1.instructions,
            a.1.loaded + a.1.stored,
            &b.0,
        ))
    });
    list
}

/// Takes `matched`'s window apart.
pub fn profile(trace: &Trace, symbols: &Symbolizer, matched: &Matched) -> Profile {
    let mut images: HashMap<String, Costs> = HashMap::new();
    let mut modules: HashMap<String, Costs> = HashMap::new();
    let mut functions: HashMap<String, Costs> = HashMap::new();
    let mut blocks: HashMap<String, Costs> = HashMap::new();
    let mut total = Costs::default();
    let mut bulk = Costs::default();
    let mut placements = HashMap::new();
    for segment in &trace.segments[matched.window.first..matched.window.last] {
        for exec in &segment.execs {
            let block = &trace.blocks[&exec.block];
            let instructions = exec.count * block.insns;
            if exec.loaded + exec.stored >= BULK_BYTES * instructions && instructions > 0 {
                bulk.add(Costs {
                    instructions,
                    loaded: exec.loaded,
                    stored: exec.stored,
                });
            }
            let placed = placements
                .entry(exec.block)
                .or_insert_with(|| symbols.place(block.vaddr, block.insns, &block.code));
            for (index, (function, insns)) in placed.functions.iter().enumerate() {
                // A block's memory traffic goes to the function it starts in.
                let (loaded, stored) = if index == 0 {
                    (exec.loaded, exec.stored)
                } else {
                    (0, 0)
                };
                let costs = Costs {
                    instructions: exec.count * insns,
                    loaded,
                    stored,
                };
                total.add(costs);
                if index == 0 {
                    blocks
                        .entry(format!("{}: {function} @ {:#x}", placed.image, block.vaddr))
                        .or_default()
                        .add(Costs {
                            instructions,
                            ..costs
                        });
                }
                images.entry(placed.image.clone()).or_default().add(costs);
                modules
                    .entry(format!("{}: {}", placed.image, module_of(function)))
                    .or_default()
                    .add(costs);
                functions
                    .entry(format!("{}: {function}", placed.image))
                    .or_default()
                    .add(costs);
            }
        }
    }
    Profile {
        matched: matched.clone(),
        total,
        bulk,
        images: sorted(images),
        modules: sorted(modules),
        functions: sorted(functions),
        blocks: sorted(blocks),
    }
}

/// The unit a figure is "per", from its series: page for runs, operation
/// otherwise.
fn unit(matched: &Matched) -> &'static str {
    match crate::bench::Series::of(&matched.figure.name).and_then(|s| s.pages_per_call) {
        Some(_) => "page",
        None => "operation",
    }
}

fn table(
    text: &mut String,
    title: &str,
    rows: &[(String, Costs)],
    per: u64,
    total: Costs,
    top: usize,
) {
    let per = per.max(1) as f64;
    let _ = writeln!(
        text,
        "\n{title}\n{:>12} {:>7} {:>12} {:>12}  name",
        "instr/unit", "share", "loaded/unit", "stored/unit"
    );
    for (name, costs) in rows.iter().take(top) {
        let share = 100.0 * costs.instructions as f64 / total.instructions.max(1) as f64;
        let _ = writeln!(
            text,
            "{:>12.1} {:>6.1}% {:>12.1} {:>12.1}  {name}",
            costs.instructions as f64 / per,
            share,
            costs.loaded as f64 / per,
            costs.stored as f64 / per,
        );
    }
    if rows.len() > top {
        let rest = rows[top..]
            .iter()
            .fold(Costs::default(), |mut sum, (_, c)| {
                sum.add(*c);
                sum
            });
        let _ = writeln!(
            text,
            "{:>12.1} {:>6.1}% {:>12.1} {:>12.1}  ({} more)",
            rest.instructions as f64 / per,
            100.0 * rest.instructions as f64 / total.instructions.max(1) as f64,
            rest.loaded as f64 / per,
            rest.stored as f64 / per,
            rows.len() - top
        );
    }
}

/// The profile file's text.
pub fn render(profile: &Profile, system: &str, git: &str) -> String {
    let m = &profile.matched;
    let unit = unit(m);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "profile of {} (system {system}, git {git}): one timed loop of {} {unit}s, \
         from the QEMU plugin (cargo xtask bench --profile)",
        m.figure.name, m.per
    );
    let _ = writeln!(
        text,
        "instructions per {unit}: bench {} (its clock), plugin {:.1} ({} in the loop)",
        m.figure.value,
        m.executed as f64 / m.per as f64,
        m.executed
    );
    let claimed = m.figure.traffic.map_or("not counted".to_string(), |t| {
        format!("{}/{}", t.read, t.written)
    });
    let _ = writeln!(
        text,
        "bytes per {unit}: page contents read/written (the bench's count) {claimed}; \
         all loads/stores (the plugin's) {:.1}/{:.1}",
        profile.total.loaded as f64 / m.per as f64,
        profile.total.stored as f64 / m.per as f64
    );
    let _ = writeln!(
        text,
        "block copies (blocks moving >= {BULK_BYTES} bytes per instruction) per {unit}: \
         {:.1} instructions, {:.1}/{:.1} bytes loaded/stored",
        profile.bulk.instructions as f64 / m.per as f64,
        profile.bulk.loaded as f64 / m.per as f64,
        profile.bulk.stored as f64 / m.per as f64
    );
    let unit_note = format!("(unit: one {unit})");
    table(
        &mut text,
        &format!("by image {unit_note}"),
        &profile.images,
        m.per,
        profile.total,
        20,
    );
    table(
        &mut text,
        "by module",
        &profile.modules,
        m.per,
        profile.total,
        25,
    );
    table(
        &mut text,
        "by function",
        &profile.functions,
        m.per,
        profile.total,
        40,
    );
    table(
        &mut text,
        "by block (the hottest)",
        &profile.blocks,
        m.per,
        profile.total,
        15,
    );
    text
}

/// Every figure of a run against the plugin: instructions (the bench's
/// figure × n against the plugin's count) and bytes (the page contents
/// the bench counted against the plugin's block copies, and every load
/// and store it saw).
pub fn crosscheck(profiles: &[Profile], system: &str, git: &str) -> String {
    let mut text = format!(
        "cross-check of {system} (git {git}): per unit, the bench's figure and bytes moved \
         against the QEMU plugin's count of the same loop\n\
         {:<34} {:>5} {:>9} {:>11} {:>7} {:>13} {:>13} {:>13}\n",
        "figure", "n", "bench", "plugin", "diff", "bench r/w", "copies ld/st", "all ld/st"
    );
    for p in profiles {
        let m = &p.matched;
        let per = m.per.max(1) as f64;
        let plugin = m.executed as f64 / per;
        let traffic = m
            .figure
            .traffic
            .map_or("-".into(), |t| format!("{}/{}", t.read, t.written));
        let _ = writeln!(
            text,
            "{:<34} {:>5} {:>9} {:>11.1} {:>+6.2}% {:>13} {:>13} {:>13}",
            m.figure.name,
            m.per,
            m.figure.value,
            plugin,
            100.0 * (plugin - m.figure.value as f64) / m.figure.value.max(1) as f64,
            traffic,
            format!(
                "{:.0}/{:.0}",
                p.bulk.loaded as f64 / per,
                p.bulk.stored as f64 / per
            ),
            format!(
                "{:.0}/{:.0}",
                p.total.loaded as f64 / per,
                p.total.stored as f64 / per
            ),
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Figure;
    use crate::profile::symbols::Image;
    use crate::profile::windows::Window;

    #[test]
    fn modules_are_the_first_two_path_components() {
        assert_eq!(
            module_of("<kernel::system::System>::clock_read::<kernel::arch::Hw>"),
            "kernel::system"
        );
        assert_eq!(module_of("userlib::page::copy"), "userlib::page");
        assert_eq!(module_of("__aeabi_memcpy"), "__aeabi_memcpy");
        assert_eq!(module_of("[prober 0x100008]"), "[prober 0x100008]");
    }

    #[test]
    fn a_window_is_costed_by_image_and_function_per_unit() {
        // Kernel block: 2 instructions straddling two functions; a
        // prober block of 1 instruction that copies.
        let kernel = Image::from_parts(
            "kernel",
            vec![(0xc000_0000, vec![0xaa; 8])],
            vec![
                (0xc000_0000, 4, "kernel::ipc::call".into()),
                (0xc000_0004, 4, "kernel::cap::lookup".into()),
            ],
        );
        let prober = Image::from_parts(
            "prober",
            vec![(0x10_0000, vec![1; 4])],
            vec![(0x10_0000, 4, "userlib::page::copy".into())],
        );
        let symbols = Symbolizer::new(vec![kernel, prober]);
        let text = "qemu-profile 1\n\
                    tb 0 c0000000 2 aaaaaaaaaaaaaaaa\ntb 1 100000 1 01010101\n\
                    exec 0 99 0 0\nmark 1000 1\nexec 0 10 40 0\nexec 1 30 4096 4096\n\
                    mark 1050 1\nexec 0 7 0 0\nend 1064\n";
        let trace = Trace::parse(text, "t").unwrap();
        let matched = Matched {
            figure: Figure {
                name: "tmem.put.copy.run1".into(),
                unit: "instructions".into(),
                value: 5,
                system: "s".into(),
                traffic: None,
            },
            window: Window { first: 1, last: 2 },
            per: 10,
            executed: 50,
        };
        let p = profile(&trace, &symbols, &matched);
        assert_eq!(
            p.total,
            Costs {
                instructions: 50,
                loaded: 4136,
                stored: 4096
            }
        );
        assert_eq!(
            p.bulk,
            Costs {
                instructions: 30,
                loaded: 4096,
                stored: 4096
            },
            "the prober's block moves 273 bytes per instruction, the kernel's 4"
        );
        assert_eq!(p.images[0].0, "prober");
        assert_eq!(p.images[1].1.instructions, 20);
        let call = p
            .functions
            .iter()
            .find(|(name, _)| name == "kernel: kernel::ipc::call")
            .unwrap();
        assert_eq!(
            call.1,
            Costs {
                instructions: 10,
                loaded: 40,
                stored: 0
            }
        );
        let text = render(&p, "bench-tmem", "abc");
        assert!(text.contains("one timed loop of 10 pages"), "{text}");
        assert!(text.contains("plugin 5.0 (50 in the loop)"), "{text}");
        // The kernel block straddling two functions counts whole as a block.
        assert!(
            text.contains(
                "2.0   40.0%          4.0          0.0  kernel: kernel::ipc::call @ 0xc0000000"
            ),
            "{text}"
        );
        assert!(
            text.contains("   409.6        409.6  prober: userlib::page::copy"),
            "{text}"
        );
        let check = crosscheck(&[p], "bench-tmem", "abc");
        assert!(check.contains("tmem.put.copy.run1"), "{check}");
        assert!(check.contains("+0.00%"), "{check}");
    }
}
