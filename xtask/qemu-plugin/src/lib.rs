//! A QEMU TCG plugin for `cargo xtask bench --profile`: it counts, per
//! translated block, executions and the bytes its instructions load and
//! store, and cuts the counts into segments at every execution of a marker
//! address (the kernel's `clock_read`, which the benchmarks' timed loops
//! call at their start and end). xtask turns the trace into per-symbol
//! figures (`xtask::profile`).
//!
//! Arguments (`-plugin PATH,out=FILE,marker=0xADDR,user_limit=0xADDR`):
//! the trace file, the marker's virtual address, and the lowest kernel
//! address (blocks below it are user code). It never changes what the
//! guest does, and refuses to load (a message and a non-zero return)
//! when an argument is missing or malformed.

mod api;
mod recorder;

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::fs::File;
use std::io::BufWriter;
use std::sync::Mutex;

use recorder::Recorder;

/// The API version QEMU checks before calling `qemu_plugin_install`.
#[no_mangle]
pub static qemu_plugin_version: c_int = api::VERSION;

/// The one recording. QEMU under `-icount` runs one vCPU thread, so the
/// lock is never contended; it is there because the callbacks are `extern
/// "C"` functions QEMU may call from any thread it likes.
static RECORDER: Mutex<Option<Recorder<BufWriter<File>>>> = Mutex::new(None);

fn with_recorder(f: impl FnOnce(&mut Recorder<BufWriter<File>>)) {
    let mut guard = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(recorder) = guard.as_mut() {
        f(recorder);
    }
}

fn say(text: &str) {
    if let Ok(text) = CString::new(format!("qemu-profile-plugin: {text}\n")) {
        // SAFETY: a NUL-terminated string that outlives the call.
        unsafe { api::qemu_plugin_outs(text.as_ptr()) };
    }
}

/// The plugin's arguments.
#[derive(Debug)]
struct Args {
    out: String,
    marker: u64,
    user_limit: u64,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let value = |key: &str| {
        args.iter()
            .find_map(|arg| arg.strip_prefix(key)?.strip_prefix('='))
            .ok_or_else(|| format!("missing argument `{key}=`"))
    };
    let address = |key: &str| {
        let text = value(key)?;
        u64::from_str_radix(text.trim_start_matches("0x"), 16)
            .map_err(|e| format!("`{key}={text}`: not a hexadecimal address ({e})"))
    };
    Ok(Args {
        out: value("out")?.to_string(),
        marker: address("marker")?,
        user_limit: address("user_limit")?,
    })
}

/// Called by QEMU once, when it loads the plugin.
///
/// # Safety
///
/// QEMU passes `argc` valid NUL-terminated strings in `argv`.
#[no_mangle]
pub unsafe extern "C" fn qemu_plugin_install(
    id: api::PluginId,
    _info: *const c_void,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    let args: Vec<String> = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: QEMU passes `argc` valid C strings.
            unsafe { CStr::from_ptr(*argv.add(i)) }
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let args = match parse_args(&args) {
        Ok(args) => args,
        Err(reason) => {
            say(&reason);
            return 1;
        }
    };
    let file = match File::create(&args.out) {
        Ok(file) => file,
        Err(error) => {
            say(&format!("{}: {error}", args.out));
            return 1;
        }
    };
    *RECORDER.lock().unwrap_or_else(|e| e.into_inner()) = Some(Recorder::new(
        BufWriter::with_capacity(1 << 20, file),
        args.marker,
        args.user_limit,
    ));
    // SAFETY: `id` is ours; the callbacks have the signatures QEMU expects.
    unsafe {
        api::qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
        api::qemu_plugin_register_atexit_cb(id, exiting, std::ptr::null_mut());
    }
    0
}

extern "C" fn translated(_id: api::PluginId, tb: *mut api::Tb) {
    // SAFETY: `tb` is valid for this callback; each instruction handle is
    // used only within it, and its data is `size` readable bytes.
    unsafe {
        let count = api::qemu_plugin_tb_n_insns(tb);
        let vaddr = api::qemu_plugin_tb_vaddr(tb);
        let mut addresses = Vec::with_capacity(count);
        let mut code = Vec::with_capacity(count * 4);
        let mut insns = Vec::with_capacity(count);
        for index in 0..count {
            let insn = api::qemu_plugin_tb_get_insn(tb, index);
            let size = api::qemu_plugin_insn_size(insn);
            let data = api::qemu_plugin_insn_data(insn).cast::<u8>();
            addresses.push(api::qemu_plugin_insn_vaddr(insn));
            code.extend_from_slice(std::slice::from_raw_parts(data, size));
            insns.push(insn);
        }
        let mut id = None;
        with_recorder(|recorder| id = Some(recorder.translated(vaddr, &addresses, &code)));
        let Some(id) = id else { return };
        // The block's id travels as the callbacks' data pointer.
        let data = id as usize as *mut c_void;
        api::qemu_plugin_register_vcpu_tb_exec_cb(tb, block_ran, api::CB_NO_REGS, data);
        for insn in insns {
            api::qemu_plugin_register_vcpu_mem_cb(
                insn,
                memory_accessed,
                api::CB_NO_REGS,
                api::MEM_RW,
                data,
            );
        }
    }
}

extern "C" fn block_ran(_vcpu: c_uint, data: *mut c_void) {
    with_recorder(|recorder| recorder.executed(data as usize as u32));
}

extern "C" fn memory_accessed(_vcpu: c_uint, info: api::MemInfo, _vaddr: u64, data: *mut c_void) {
    // SAFETY: `info` is the access this callback is for.
    let (shift, store) = unsafe {
        (
            api::qemu_plugin_mem_size_shift(info),
            api::qemu_plugin_mem_is_store(info),
        )
    };
    with_recorder(|recorder| recorder.accessed(data as usize as u32, 1 << shift, store));
}

extern "C" fn exiting(_id: api::PluginId, _data: *mut c_void) {
    let mut guard = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(mut recorder) = guard.take() {
        if let Err(error) = recorder.finish() {
            say(&format!("writing the trace failed: {error}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_required_and_addresses_hexadecimal() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let parsed = parse_args(&args(&[
            "out=/tmp/t",
            "marker=0xc0037b90",
            "user_limit=60010000",
        ]))
        .unwrap();
        assert_eq!(
            (parsed.out.as_str(), parsed.marker, parsed.user_limit),
            ("/tmp/t", 0xc003_7b90, 0x6001_0000)
        );
        assert!(parse_args(&args(&["out=/tmp/t", "marker=0xc0037b90"]))
            .unwrap_err()
            .contains("user_limit"));
        assert!(parse_args(&args(&["out=x", "marker=zz", "user_limit=0"]))
            .unwrap_err()
            .contains("marker=zz"));
    }
}
