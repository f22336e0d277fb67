//! Word-aligned block copies for the kernel (`__aeabi_memcpy4`/`8`, which
//! the compiler calls for every copy of a trap frame or message): eight
//! words per `ldm`/`stm` pair instead of compiler_builtins' one word per
//! five instructions. The assembly is shared with userlib.

core::arch::global_asm!(include_str!("../../abi/asm/aeabi_memcpy.s"));
