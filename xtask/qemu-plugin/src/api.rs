//! The part of QEMU's TCG plugin API (version 1, as in QEMU 7.2) this
//! plugin calls, declared by hand: Debian ships no `qemu-plugin.h`, and
//! the handful of functions below is all that is used. The symbols are
//! resolved against the QEMU binary that loads the plugin.
//!
//! Nothing here may hold on to a TB or instruction handle past the
//! translation callback that received it (QEMU frees them).

use std::ffi::{c_char, c_int, c_uint, c_void};

/// The API version this plugin is written against (QEMU 7.2 accepts 0 and 1).
pub const VERSION: c_int = 1;

/// QEMU's identifier for a loaded plugin.
pub type PluginId = u64;

/// Opaque translation block, valid during a translation callback only.
#[repr(C)]
pub struct Tb {
    _opaque: [u8; 0],
}

/// Opaque translated instruction, valid during a translation callback only.
#[repr(C)]
pub struct Insn {
    _opaque: [u8; 0],
}

/// Opaque description of one memory access, valid during its callback.
pub type MemInfo = u32;

/// `enum qemu_plugin_cb_flags`: the callback reads no registers.
pub const CB_NO_REGS: c_int = 0;
/// `enum qemu_plugin_mem_rw`: loads and stores.
pub const MEM_RW: c_int = 3;

/// Called for every translated block.
pub type TbTransCb = extern "C" fn(id: PluginId, tb: *mut Tb);
/// Called at every execution of a block, with the registration's data.
pub type ExecCb = extern "C" fn(vcpu: c_uint, data: *mut c_void);
/// Called after every memory access of an instruction.
pub type MemCb = extern "C" fn(vcpu: c_uint, info: MemInfo, vaddr: u64, data: *mut c_void);
/// Called once when QEMU exits.
pub type AtExitCb = extern "C" fn(id: PluginId, data: *mut c_void);

extern "C" {
    pub fn qemu_plugin_register_vcpu_tb_trans_cb(id: PluginId, cb: TbTransCb);
    pub fn qemu_plugin_register_vcpu_tb_exec_cb(
        tb: *mut Tb,
        cb: ExecCb,
        flags: c_int,
        data: *mut c_void,
    );
    pub fn qemu_plugin_register_vcpu_mem_cb(
        insn: *mut Insn,
        cb: MemCb,
        flags: c_int,
        rw: c_int,
        data: *mut c_void,
    );
    pub fn qemu_plugin_register_atexit_cb(id: PluginId, cb: AtExitCb, data: *mut c_void);
    pub fn qemu_plugin_tb_n_insns(tb: *const Tb) -> usize;
    pub fn qemu_plugin_tb_vaddr(tb: *const Tb) -> u64;
    pub fn qemu_plugin_tb_get_insn(tb: *const Tb, index: usize) -> *mut Insn;
    pub fn qemu_plugin_insn_data(insn: *const Insn) -> *const c_void;
    pub fn qemu_plugin_insn_size(insn: *const Insn) -> usize;
    pub fn qemu_plugin_insn_vaddr(insn: *const Insn) -> u64;
    pub fn qemu_plugin_mem_size_shift(info: MemInfo) -> c_uint;
    pub fn qemu_plugin_mem_is_store(info: MemInfo) -> bool;
    pub fn qemu_plugin_outs(text: *const c_char);
}
