//! `[tmem]`: the tmem server's configuration, checked against the rest of
//! the description (and the server's capability layout,
//! `tmem_server::layout`) and turned into the server's own
//! `ServerConfig`: its typed configuration (the description gives the
//! server no `config` of its own).
//!
//! Client `k` is the `k`-th entry, and must reach the server through a
//! capability with `write` to the server's service endpoint (its slot 0)
//! badged `k`, and no other badge on that endpoint may name it
//! (`system::clients`). The server must be crate `tmem-server`. (A
//! partition may be more than one client, through differently badged
//! capabilities: the server knows clients only by badge.)
//! Every mistake is an error naming the field; this module must never
//! guess a value the file did not give.

use std::path::Path;

use tmem_protocol::ExchangeMode;
use tmem_server::layout::{FLIPS, MAX_POOL_FRAMES, MEMORY, POOL, SERVICE};
use tmem_server::{ServerConfig, MAX_CLIENTS};

use super::clients::Served;
use super::description::{Description, FrameSize, TmemMode};
use super::DescriptionError;

/// The crate whose configuration `[tmem]` becomes.
const SERVER_CRATE: &str = "tmem-server";

/// The server partition's index and its configuration, if the
/// description has a `[tmem]` section.
pub fn server_config(
    file: &Path,
    d: &Description,
) -> Result<Option<(usize, ServerConfig)>, DescriptionError> {
    let Some(tmem) = &d.tmem else {
        return Ok(None);
    };
    let err = |field: String, reason: String| DescriptionError {
        file: file.to_path_buf(),
        field,
        reason,
    };
    let index_of = |name: &str| d.partitions.iter().position(|p| p.name == name);
    let server = index_of(&tmem.server).ok_or_else(|| {
        err(
            "tmem.server".into(),
            format!("no partition `{}`", tmem.server),
        )
    })?;
    if d.partitions[server].config.is_some() {
        return Err(err(
            format!("partition[{server}].config"),
            "the tmem server's configuration comes from [tmem]; remove it".into(),
        ));
    }
    let service = d.partitions[server]
        .caps
        .iter()
        .find(|cap| cap.slot == SERVICE)
        .and_then(|cap| cap.endpoint.clone())
        .ok_or_else(|| {
            err(
                format!("partition[{server}].caps"),
                format!("the tmem server needs its service endpoint in slot {SERVICE}"),
            )
        })?;
    let memory = d.partitions[server]
        .caps
        .iter()
        .find(|cap| cap.slot == MEMORY)
        .and_then(|cap| cap.frame.as_deref())
        .and_then(|name| d.frames.iter().find(|f| f.name == name))
        .ok_or_else(|| {
            err(
                format!("partition[{server}].caps"),
                format!("the tmem server needs its memory frame in slot {MEMORY}"),
            )
        })?;
    // A frame that takes the rest of RAM is mapped whole (in the pool
    // region); the frame split into one-page pool frames is then the flip
    // frame, if there is one. A fixed-size memory frame is itself split.
    let flips = d.partitions[server]
        .caps
        .iter()
        .find(|cap| cap.slot == FLIPS)
        .and_then(|cap| cap.frame.as_deref())
        .and_then(|name| d.frames.iter().find(|f| f.name == name));
    let (split, pages) = match (memory.size_kib, flips) {
        (FrameSize::Rest, None) => (memory, 0),
        (FrameSize::Rest, Some(flips)) => match flips.size_kib {
            FrameSize::Kib(kib) => (flips, kib / 4),
            FrameSize::Rest => {
                return Err(err(
                    format!("frame `{}`.size_kib", flips.name),
                    "the flip frame has a fixed size".into(),
                ))
            }
        },
        (FrameSize::Kib(kib), None) => (memory, kib / 4),
        (FrameSize::Kib(_), Some(_)) => {
            return Err(err(
                format!("partition[{server}].caps"),
                format!(
                    "a flip frame in slot {FLIPS} goes with a memory frame of size_kib = \"rest\""
                ),
            ))
        }
    };
    if pages > MAX_POOL_FRAMES {
        return Err(err(
            format!("frame `{}`.size_kib", split.name),
            format!(
                "the tmem server splits at most {MAX_POOL_FRAMES} pages ({} KiB) into pool frames",
                MAX_POOL_FRAMES * 4
            ),
        ));
    }
    let slots = u32::from(POOL) + pages;
    if u32::from(d.partitions[server].cap_slots) < slots {
        return Err(err(
            format!("partition[{server}].cap_slots"),
            format!(
                "the tmem server needs {slots} slots: {POOL} and one per page of the frame it splits"
            ),
        ));
    }
    if tmem.clients.is_empty() || tmem.clients.len() > MAX_CLIENTS {
        return Err(err(
            "tmem.clients".into(),
            format!("between 1 and {MAX_CLIENTS} clients"),
        ));
    }
    let uuid = match tmem.shared_pool {
        None => 0,
        Some(uuid @ 1..=255) => uuid,
        Some(_) => {
            return Err(err(
                "tmem.shared_pool".into(),
                "a UUID from 1 to 255".into(),
            ))
        }
    };
    let served = Served {
        file,
        d,
        server,
        service: &service,
    };
    served.is_crate("tmem.server", SERVER_CRATE)?;
    let mut client_partitions = Vec::new();
    let mut modes = [None; MAX_CLIENTS];
    let mut members = 0u8;
    let mut caps = Vec::new();
    for (k, client) in tmem.clients.iter().enumerate() {
        let at = |field: &str| format!("tmem.clients[{k}].{field}");
        let badge = k as u32 + 1;
        let index = index_of(&client.partition).ok_or_else(|| {
            err(
                at("partition"),
                format!("no partition `{}`", client.partition),
            )
        })?;
        if index == server {
            return Err(err(
                at("partition"),
                "the server is not its own client".into(),
            ));
        }
        served.reaches(at("partition"), index, badge)?;
        client_partitions.push(index);
        if client.shared && uuid == 0 {
            return Err(err(at("shared"), "there is no tmem.shared_pool".into()));
        }
        modes[k] = Some(match client.mode {
            TmemMode::Copy => ExchangeMode::Copy,
            TmemMode::GrantMap => ExchangeMode::GrantMap,
            TmemMode::Transfer => ExchangeMode::Transfer,
        });
        if client.shared {
            members |= 1 << k;
        }
        match client.persistent_cap_pages {
            Some(0) => {
                return Err(err(
                    at("persistent_cap_pages"),
                    "a cap of 0 pages refuses every frontswap put; leave the client's mode out of [tmem] instead".into(),
                ))
            }
            Some(pages) => caps.push((badge, pages)),
            None => {}
        }
    }
    served.no_stray_badges(&client_partitions)?;
    // Every rule `ServerConfig::new` and `with_persistent_cap` enforce
    // was checked above, field by field.
    let not_tmem = |e| err("tmem".into(), format!("not a tmem configuration: {e:?}"));
    let mut config = ServerConfig::new(modes, members, uuid as u8).map_err(not_tmem)?;
    for (badge, pages) in caps {
        config = config.with_persistent_cap(badge, pages).map_err(not_tmem)?;
    }
    Ok(Some((server, config)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::validate::parse;

    const BASE: &str = r#"
[schedule]
major_frame_ms = 2
windows = [{ partition = "a", duration_ms = 1 }, { partition = "b", duration_ms = 1 }]

[[endpoint]]
name = "tmem"

[[frame]]
name = "memory"
size_kib = 64

[[partition]]
name = "server"
crate = "tmem-server"
memory_kib = 512
passive = true
cap_slots = 48
threads = [{ name = "main", priority = 10, stack_kib = 8 }]
caps = [
    { slot = 0, endpoint = "tmem", rights = ["read"] },
    { slot = 2, frame = "memory", rights = ["read", "write", "grant"] },
]

[[partition]]
name = "a"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
caps = [{ slot = 0, endpoint = "tmem", rights = ["write"], badge = 1 }]

[[partition]]
name = "b"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
caps = [{ slot = 0, endpoint = "tmem", rights = ["write"], badge = 2 }]
"#;

    const TMEM: &str = r#"
[tmem]
server = "server"
shared_pool = 7
clients = [
    { partition = "a", mode = "copy", shared = true },
    { partition = "b", mode = "transfer" },
]
"#;

    fn run(text: &str) -> Result<Option<(usize, ServerConfig)>, DescriptionError> {
        let file = Path::new("t.toml");
        server_config(file, &parse(file, text)?)
    }

    #[test]
    fn the_section_becomes_the_servers_configuration() {
        let text = format!("{BASE}{TMEM}");
        let mut modes = [None; MAX_CLIENTS];
        modes[0] = Some(ExchangeMode::Copy);
        modes[1] = Some(ExchangeMode::Transfer);
        let expected = ServerConfig::new(modes, 0b1, 7).unwrap();
        assert_eq!(run(&text), Ok(Some((0, expected))));
        assert_eq!(run(BASE), Ok(None), "no section, no configuration");
        let capped = TMEM.replace(
            "mode = \"transfer\" }",
            "mode = \"transfer\", persistent_cap_pages = 40 }",
        );
        let expected = expected.with_persistent_cap(2, 40).unwrap();
        assert_eq!(run(&format!("{BASE}{capped}")), Ok(Some((0, expected))));
    }

    #[test]
    fn only_each_client_holds_its_badge_and_only_the_tmem_server_serves() {
        let b_caps = r#"caps = [{ slot = 0, endpoint = "tmem", rights = ["write"], badge = 2 }]"#;
        let with_b_also = |extra: &str| {
            BASE.replace(
                b_caps,
                &b_caps.replace(
                    " }]",
                    &format!(" }}, {{ slot = 1, endpoint = \"tmem\", {extra} }}]"),
                ),
            )
        };
        let cases = [
            (
                with_b_also(r#"rights = ["write"], badge = 1"#),
                "client 1 is `a`",
            ),
            (
                with_b_also(r#"rights = ["write"], badge = 3"#),
                "no client 3",
            ),
            (with_b_also(r#"rights = ["write"]"#), "no client 0"),
        ];
        for (text, reason) in cases {
            let error = run(&format!("{text}{TMEM}")).unwrap_err();
            assert_eq!(
                error.field, "partition[2].caps[1].badge",
                "{}",
                error.reason
            );
            assert!(error.reason.contains(reason), "{}", error.reason);
        }
        let read_only = BASE.replacen(
            r#"rights = ["write"], badge = 1"#,
            r#"rights = ["read"], badge = 1"#,
            1,
        );
        let error = run(&format!("{read_only}{TMEM}")).unwrap_err();
        assert_eq!(error.field, "tmem.clients[0].partition");
        assert!(error.reason.contains("`write`"), "{}", error.reason);
        let not_tmem = BASE.replace("crate = \"tmem-server\"", "crate = \"block-server\"");
        let error = run(&format!("{not_tmem}{TMEM}")).unwrap_err();
        assert_eq!(error.field, "tmem.server");
        assert!(error.reason.contains("tmem-server"), "{}", error.reason);
    }

    #[test]
    fn mistakes_name_their_field() {
        let cases = [
            (
                TMEM.replace("server = \"server\"", "server = \"nobody\""),
                "tmem.server",
            ),
            (
                TMEM.replace("\"b\", mode", "\"server\", mode"),
                "tmem.clients[1].partition",
            ),
            (
                TMEM.replace("shared_pool = 7", "shared_pool = 300"),
                "tmem.shared_pool",
            ),
            (
                TMEM.replace("shared_pool = 7\n", ""),
                "tmem.clients[0].shared",
            ),
            (
                TMEM.replace("shared = true", "shared = true, persistent_cap_pages = 0"),
                "tmem.clients[0].persistent_cap_pages",
            ),
        ];
        for (tmem, field) in cases {
            let error = run(&format!("{BASE}{tmem}")).unwrap_err();
            assert_eq!(error.field, field, "{}", error.reason);
        }
        let unbadged = BASE.replace("badge = 2", "badge = 5");
        let error = run(&format!("{unbadged}{TMEM}")).unwrap_err();
        assert_eq!(error.field, "tmem.clients[1].partition");
        assert!(error.reason.contains("badged 2"), "{}", error.reason);
        let small = BASE.replace("cap_slots = 48", "cap_slots = 40");
        assert_eq!(
            run(&format!("{small}{TMEM}")).unwrap_err().field,
            "partition[0].cap_slots"
        );
        let big = BASE.replace("size_kib = 64", "size_kib = 1024");
        assert_eq!(
            run(&format!("{big}{TMEM}")).unwrap_err().field,
            "frame `memory`.size_kib"
        );
        let rest = BASE.replace("size_kib = 64", "size_kib = \"rest\"");
        let small_rest = rest.replace("cap_slots = 48", "cap_slots = 32");
        assert!(
            run(&format!("{small_rest}{TMEM}")).is_ok(),
            "a rest-of-RAM frame is mapped whole: no pool slots"
        );
        let flip = |kib: &str| {
            rest.replacen(
                "\n[[partition]]",
                &format!("\n[[frame]]\nname = \"flips\"\nsize_kib = {kib}\n\n[[partition]]"),
                1,
            )
            .replacen(
                "    { slot = 2, frame",
                "    { slot = 3, frame = \"flips\", rights = [\"read\", \"write\", \"grant\"] },\n    { slot = 2, frame",
                1,
            )
        };
        assert!(run(&format!("{}{TMEM}", flip("64"))).is_ok());
        let error = run(&format!("{}{TMEM}", flip("128"))).unwrap_err();
        assert_eq!(
            error.field, "partition[0].cap_slots",
            "32 flip frames need 64 slots"
        );
        let error = run(&format!("{}{TMEM}", flip("512"))).unwrap_err();
        assert_eq!(error.field, "frame `flips`.size_kib");
        let fixed_with_flips = flip("64").replace("size_kib = \"rest\"", "size_kib = 64");
        let error = run(&format!("{fixed_with_flips}{TMEM}")).unwrap_err();
        assert_eq!(error.field, "partition[0].caps", "{}", error.reason);
        let configured = BASE.replace("passive = true", "passive = true\nconfig = { clients = 2 }");
        assert_eq!(
            run(&format!("{configured}{TMEM}")).unwrap_err().field,
            "partition[0].config"
        );
        let error = run(&format!(
            "{BASE}{}",
            TMEM.replace("\"copy\"", "\"carrier-pigeon\"")
        ))
        .unwrap_err();
        assert!(error.reason.contains("unknown variant"), "{}", error.reason);
    }
}
