//! Tegra 2 images, checked without hardware (QEMU has no Tegra model):
//! every board's kernel links where U-Boot loads it and names the board's
//! console UART; the raw binary, uImage and boot script `flash-tegra`
//! writes are what U-Boot needs; a moved load address moves the link; and
//! the host decoder reads a UART stream with text noise and lost bytes
//! using the image's own defmt table.
//!
//! Builds share one cargo target directory, so every build here holds
//! [`BUILDS`]; each board is built once per run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};

use kernel_abi::log_stream::{Source, TERMINATOR};
use object::{Object, ObjectSymbol};
use platform::boards::tegra20;
use platform::Board;
use xtask::bootscript::{self, BootScript, Medium};
use xtask::elf::ElfInfo;
use xtask::flash::{self, Plan, Request};
use xtask::image::{KernelImage, Profile};
use xtask::logstream::{LogDecoder, LogEvent};
use xtask::toolchain::{Install, Toolchain, TARGET};
use xtask::{rawbin, uimage, workspace};

/// Where U-Boot loads kernels on Tegra20.
const LOAD: u32 = 0x0100_0000;
/// Kernel virtual address of physical 0 on these boards.
const VIRT_OFFSET: u64 = 0xC000_0000;

static BUILDS: Mutex<()> = Mutex::new(());

fn toolchain() -> &'static Toolchain {
    static TOOLCHAIN: OnceLock<Toolchain> = OnceLock::new();
    TOOLCHAIN.get_or_init(|| {
        Toolchain::detect(Install::Never)
            .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"))
    })
}

/// Every Tegra board's debug image, built once.
fn images() -> &'static BTreeMap<&'static str, PathBuf> {
    static IMAGES: OnceLock<BTreeMap<&'static str, PathBuf>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let _builds = BUILDS.lock().unwrap_or_else(|p| p.into_inner());
        tegra20::ALL
            .iter()
            .map(|board| {
                let elf = KernelImage::new(board, Profile::Debug)
                    .build(toolchain())
                    .unwrap_or_else(|e| panic!("{}: {e}", board.name));
                (board.name, elf)
            })
            .collect()
    })
}

fn raw_image(elf: &Path) -> rawbin::RawImage {
    rawbin::from_elf(&std::fs::read(elf).unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

/// The 32-bit word at kernel virtual address `va` in the image.
fn word_at(info: &ElfInfo, raw: &rawbin::RawImage, va: u64) -> u32 {
    let (vaddr, paddr, _) = info
        .segments
        .iter()
        .copied()
        .find(|&(vaddr, _, size)| va >= vaddr && va < vaddr + size)
        .unwrap_or_else(|| panic!("{va:#x} is in no segment"));
    let offset = (paddr + (va - vaddr) - u64::from(raw.load)) as usize;
    u32::from_le_bytes(raw.bytes[offset..offset + 4].try_into().unwrap())
}

#[test]
fn every_tegra_board_links_where_u_boot_loads_it_with_its_console() {
    for board in tegra20::ALL {
        let elf = &images()[board.name];
        let info = ElfInfo::read(elf).unwrap();
        assert_eq!(info.entry, u64::from(LOAD), "{}: entry", board.name);
        assert_eq!(
            info.symbol("_start").unwrap(),
            u64::from(LOAD),
            "{}",
            board.name
        );
        let lowest = info.segments.iter().map(|&(_, pa, _)| pa).min().unwrap();
        assert_eq!(
            lowest,
            u64::from(LOAD),
            "{}: first load segment",
            board.name
        );
        for &(va, pa, size) in &info.segments {
            assert!(
                pa >= u64::from(LOAD) && pa + size <= u64::from(LOAD) + (16 << 20),
                "{}: segment {pa:#x}+{size:#x} outside the image's 16 MiB",
                board.name
            );
            assert!(
                va == pa || va == pa + VIRT_OFFSET,
                "{}: {va:#x}",
                board.name
            );
        }
        let raw = raw_image(elf);
        assert_eq!((raw.load, raw.entry), (LOAD, LOAD), "{}", board.name);
        let console = info.symbol("KERNEL_CONSOLE_UART").unwrap();
        assert_eq!(
            word_at(&info, &raw, console) as usize,
            board.console.base(),
            "{}: console UART",
            board.name
        );
        let expected = if board.console_label == "UARTA" {
            tegra20::UARTA
        } else {
            tegra20::UARTD
        };
        assert_eq!(board.console.base(), expected, "{}", board.name);
    }
}

#[test]
fn the_uimage_of_every_board_says_load_and_entry_0x01000000() {
    let dumpimage = xtask::toolchain::which("dumpimage");
    if dumpimage.is_none() {
        println!("skipped the dumpimage cross-check: u-boot-tools is not installed");
    }
    let scratch = scratch_dir("uimage");
    for board in tegra20::ALL {
        let raw = raw_image(&images()[board.name]);
        let bytes = uimage::image(&flash::kernel_spec(board, LOAD, 0), &raw.bytes).unwrap();
        let (header, data) = uimage::parse(&bytes).unwrap();
        assert_eq!((header.load, header.entry), (LOAD, LOAD), "{}", board.name);
        assert_eq!(header.size as usize, raw.bytes.len());
        assert_eq!(
            (
                header.os,
                header.arch,
                header.image_type,
                header.compression
            ),
            (5, 2, 2, 0)
        );
        assert_eq!(data, &raw.bytes[..]);
        if let Some(dumpimage) = &dumpimage {
            let path = scratch.join(format!("{}.uimg", board.name));
            std::fs::write(&path, &bytes).unwrap();
            let out = std::process::Command::new(dumpimage)
                .arg("-l")
                .arg(&path)
                .output()
                .unwrap();
            let listing = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{listing}");
            assert!(listing.contains("Load Address: 01000000"), "{listing}");
            assert!(listing.contains("Entry Point:  01000000"), "{listing}");
            assert!(
                listing.contains(&format!("tmem-kernel {}", board.name)),
                "{listing}"
            );
        }
    }
    std::fs::remove_dir_all(scratch).unwrap();
}

#[test]
fn dry_runs_plan_every_board_and_write_nothing() {
    let card = scratch_dir("dry-run");
    for board in tegra20::ALL {
        let plan = Plan::new(&request(board, &card)).unwrap();
        let text = plan.render();
        assert!(
            text.contains(&format!("system `tmem-modes` for {} (debug)", board.name)),
            "{text}"
        );
        assert!(text.contains("-a 0x01000000 -e 0x01000000"), "{text}");
        assert!(
            text.contains(&format!("{}/boot.scr", card.display())),
            "{text}"
        );
        assert!(text.contains(board.console_label), "{text}");
    }
    assert_eq!(
        std::fs::read_dir(&card).unwrap().count(),
        0,
        "a plan writes nothing"
    );
    std::fs::remove_dir_all(card).unwrap();
}

#[test]
fn flashing_to_a_directory_writes_what_u_boot_reads() {
    let board = &tegra20::HARMONY;
    let card = scratch_dir("card");
    let plan = Plan::new(&request(board, &card)).unwrap();
    let outcome = {
        let _builds = BUILDS.lock().unwrap_or_else(|p| p.into_inner());
        plan.execute(toolchain(), |_| {})
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for name in [
        bootscript::KERNEL_FILE,
        bootscript::UIMAGE_FILE,
        bootscript::SCRIPT_FILE,
        bootscript::SCRIPT_SOURCE_FILE,
    ] {
        assert!(outcome.written.contains(&card.join(name)), "{name} written");
    }
    let bin = std::fs::read(card.join(bootscript::KERNEL_FILE)).unwrap();
    assert_eq!(bin, raw_image(&plan.artifacts.elf).bytes);
    let uimg = std::fs::read(card.join(bootscript::UIMAGE_FILE)).unwrap();
    let (header, data) = uimage::parse(&uimg).unwrap();
    assert_eq!((header.load, header.entry, data), (LOAD, LOAD, &bin[..]));
    let script = BootScript {
        board: board.name.into(),
        load: LOAD,
        medium: Medium::Storage,
    };
    let cmd = std::fs::read_to_string(card.join(bootscript::SCRIPT_SOURCE_FILE)).unwrap();
    assert_eq!(cmd, script.text());
    let scr = std::fs::read(card.join(bootscript::SCRIPT_FILE)).unwrap();
    let (header, data) = uimage::parse(&scr).unwrap();
    assert_eq!(header.image_type, 6, "script");
    assert_eq!(&data[8..], cmd.as_bytes());
    std::fs::remove_dir_all(card).unwrap();
}

#[test]
fn a_moved_load_address_moves_the_link_and_a_bad_one_stops_the_build() {
    let board = &tegra20::PAZ00;
    let _builds = BUILDS.lock().unwrap_or_else(|p| p.into_inner());
    let moved = build_with_load(board, "0x02000000").unwrap_or_else(|e| panic!("{e}"));
    let raw = raw_image(&moved);
    assert_eq!((raw.load, raw.entry), (0x0200_0000, 0x0200_0000));
    let info = ElfInfo::read(&moved).unwrap();
    assert_eq!(info.symbol("_start").unwrap(), 0x0200_0000);
    std::fs::remove_dir_all(moved.parent().unwrap()).unwrap();

    let refused = build_with_load(board, "0x1ff00000").unwrap_err();
    assert!(
        refused.contains("TMEM_KERNEL_LOAD=0x1ff00000 cannot be used on tegra20-paz00"),
        "{refused}"
    );
}

/// Builds `board`'s kernel with `TMEM_KERNEL_LOAD=load`; the ELF, or
/// cargo's error output.
fn build_with_load(board: &Board, load: &str) -> Result<PathBuf, String> {
    let target_dir = workspace::target_dir().join("arm");
    let out = toolchain()
        .cargo_build(&target_dir)
        .current_dir(workspace::root())
        .args(["--package", "kernel", "--bin", "kernel", "--features"])
        .arg(xtask::board::cargo_feature(board))
        .env("TMEM_KERNEL_LOAD", load)
        .env_remove("TMEM_SYSTEM_IMAGE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let built = target_dir.join(TARGET).join("debug").join("kernel");
    let dest = scratch_dir("moved").join(format!("kernel-{load}.elf"));
    std::fs::copy(built, &dest).unwrap();
    Ok(dest)
}

#[test]
fn the_decoder_survives_text_noise_and_lost_bytes_on_the_uart() {
    let elf = &images()[tegra20::TRIMSLICE.name];
    let messages = plain_messages(elf);
    assert!(
        !messages.is_empty(),
        "the image logs no message without arguments"
    );
    // Two different messages where the image has them; the timestamps
    // tell the records apart either way.
    let (first, second) = (&messages[0], messages.last().unwrap());
    let record = |index: u16, time: u64| {
        let mut frame = index.to_le_bytes().to_vec();
        frame.extend_from_slice(&time.to_le_bytes());
        let mut bytes = vec![Source::Kernel.to_byte()];
        bytes.extend(rzcobs_encode(&frame));
        // As the kernel sends records on a UART: terminator twice.
        bytes.extend([TERMINATOR, TERMINATOR]);
        bytes
    };
    let mut stream = b"U-Boot 2020.04\r\n## Starting application at 0x01000000 ...\r\n".to_vec();
    stream.extend(b"tmem-kernel 0.1.0 booting\r\n\0");
    stream.extend(record(first.0, 1));
    let mut damaged = record(second.0, 2);
    damaged.remove(3); // a byte lost inside the frame
    stream.extend(damaged);
    stream.extend(record(second.0, 3));
    let mut one_terminator_lost = record(first.0, 4);
    one_terminator_lost.pop();
    stream.extend(one_terminator_lost);
    stream.extend(record(second.0, 5));

    let mut decoder = LogDecoder::new();
    decoder.add_elf(Source::Kernel, elf).unwrap();
    let events: Vec<LogEvent> = stream.chunks(5).flat_map(|c| decoder.feed(c)).collect();
    let lines: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Line(line) => Some((
                line.timestamp.clone().unwrap_or_default(),
                line.message.clone(),
            )),
            _ => None,
        })
        .collect();
    let expected: Vec<(String, String)> = [(1, first), (3, second), (4, first), (5, second)]
        .iter()
        .map(|(t, m)| (format!("0.{t:06}"), m.1.clone()))
        .collect();
    assert_eq!(lines, expected, "{events:#?}");
    let noise = events
        .iter()
        .filter(|e| matches!(e, LogEvent::UnknownSource { .. }))
        .count();
    assert_eq!(
        noise, 1,
        "the text before the first record is one unreadable chunk: {events:#?}"
    );
    let lost = events
        .iter()
        .filter(|e| matches!(e, LogEvent::Malformed { .. }))
        .count();
    assert!(
        lost <= 1,
        "a lost byte costs at most its record: {events:#?}"
    );
}

/// `(index, text)` of the image's log messages that take no arguments.
fn plain_messages(elf: &Path) -> Vec<(u16, String)> {
    let bytes = std::fs::read(elf).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let mut found: Vec<(u16, String)> = file
        .symbols()
        .filter_map(|symbol| {
            let name = symbol.name().ok()?;
            let logged = ["info", "warn", "error"]
                .iter()
                .any(|level| name.contains(&format!("\"tag\":\"defmt_{level}\"")));
            if !logged {
                return None;
            }
            let data = name.split("\"data\":\"").nth(1)?.split('"').next()?;
            let plain = !data.contains(['{', '\\']) && !data.is_empty();
            plain.then(|| (u16::try_from(symbol.address()).ok(), data.to_string()))
        })
        .filter_map(|(index, data)| Some((index?, data)))
        .collect();
    found.sort();
    found.dedup_by(|a, b| a.1 == b.1);
    found
}

/// rzCOBS, as defmt frames are encoded: groups of 7 bytes become their
/// non-zero bytes and a mask of the zero positions (bit k: byte k is 0;
/// past the end counts as 0); a run of 7..=133 non-zero bytes followed by
/// a zero becomes the run and `0x80 | (run - 7)`; 134 non-zero bytes
/// become the run and `0xFF`.
fn rzcobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let run = data[at..].iter().take_while(|&&b| b != 0).count();
        if run >= 134 {
            out.extend_from_slice(&data[at..at + 134]);
            out.push(0xFF);
            at += 134;
        } else if run >= 7 {
            out.extend_from_slice(&data[at..at + run]);
            out.push(0x80 | (run - 7) as u8);
            at += run + 1;
        } else {
            let mut mask = 0u8;
            for k in 0..7 {
                match data.get(at + k) {
                    Some(&b) if b != 0 => out.push(b),
                    _ => mask |= 1 << k,
                }
            }
            out.push(mask);
            at += 7;
        }
    }
    out
}

fn request(board: &'static Board, card: &Path) -> Request {
    Request {
        image: KernelImage::new(board, Profile::Debug),
        system: "tmem-modes".into(),
        load: LOAD,
        to: Some(card.to_path_buf()),
        tftp: None,
        rcm: None,
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = workspace::target_dir()
        .join("tmp")
        .join(format!("tegra-images-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
