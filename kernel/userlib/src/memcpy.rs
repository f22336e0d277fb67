//! Word-aligned block copies for partitions (`__aeabi_memcpy4`/`8`): the
//! same eight-words-per-instruction-pair assembly the kernel uses, in place
//! of compiler_builtins' one word per five instructions.

core::arch::global_asm!(include_str!("../../abi/asm/aeabi_memcpy.s"));
