//! The test processes' ELF images: seven tiny ARM programs, each a whole
//! ELF32 executable (header, program headers, segments) written out by
//! the assembler into the guest kernel's read-only data, so the guest
//! kernel loads them as it would load any ELF file. Their code uses only
//! pc-relative addresses and the guest system calls of `crate::abi`.
//!
//! | image | linked at | does |
//! | --- | --- | --- |
//! | hello | 0x10000 | writes a line, reads the clock twice, makes system call 5 (the kernel's `call`) on slot 0, exits 0 (99 if the clock ran backwards) |
//! | paging | 0x20000 | pushes on its stack, writes three pages of its bss (0x30000, demand-mapped), writes a line, exits with their sum (6) |
//! | timer | 0x50000 | reads the clock, spins, reads it again, writes a line, exits 3 (98 if it did not advance) |
//! | snoop | 0x40000 | an undefined instruction at 0x40000, then at its entry reads the word at the address in its `r0` and exits with it |
//! | looper | 0x60000 | loops forever |
//! | calls | 0x10000 | makes system call `r1` `r0` times, then exits 0 (benchmarks) |
//! | faults | 0x10000 | reads 0x20000 then 0x21000, `r0` times, then exits 0 (benchmarks) |

core::arch::global_asm!(
    r#"
    .macro elf_header base, entry, phnum
    .byte 0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0
    .short 2, 40
    .word 1, \base + \entry, 52, 0, 0x05000200
    .short 52, 32, \phnum, 40, 0, 0
    .endm

    @ A PT_LOAD program header: file offset, vaddr, file and memory
    @ sizes, flags (4 read, 2 write, 1 execute).
    .macro load_segment offset, vaddr, filesz, memsz, flags
    .word 1, \offset, \vaddr, \vaddr, \filesz, \memsz, \flags, 0x1000
    .endm

    .section .rodata.guest_images, "a"
    .arm
    .balign 4

    .global __image_hello_start
__image_hello_start:
    elf_header 0x10000, (hello_entry - hello_text), 1
    load_segment (hello_text - __image_hello_start), 0x10000, (hello_end - hello_text), (hello_end - hello_text), 5
hello_text:
hello_msg:
    .ascii "hello from the first process"
hello_msg_end:
    .balign 4
hello_len:
    .word hello_msg_end - hello_msg
hello_entry:
    adr r0, hello_msg
    ldr r1, hello_len
    mov r7, #1
    svc #0
    mov r7, #2
    svc #0
    mov r4, r0
    mov r5, r1
    mov r7, #2
    svc #0
    subs r2, r0, r4
    sbcs r3, r1, r5
    movpl r6, #0
    movmi r6, #99
    @ The kernel's `call` on slot 0: a process has no capabilities, so
    @ this is just system call 5 of its guest kernel's.
    mov r0, #0
    mov r7, #5
    svc #0
    mov r0, r6
    mov r7, #3
    svc #0
1:  b 1b
hello_end:
    .global __image_hello_end
__image_hello_end:

    .balign 4
    .global __image_paging_start
__image_paging_start:
    elf_header 0x20000, (paging_entry - paging_text), 2
    load_segment (paging_text - __image_paging_start), 0x20000, (paging_end - paging_text), (paging_end - paging_text), 5
    load_segment 0, 0x30000, 0, 0x3000, 6
paging_text:
paging_msg:
    .ascii "second process: wrote and read back three demand-mapped pages"
paging_msg_end:
    .balign 4
paging_len:
    .word paging_msg_end - paging_msg
paging_bss:
    .word 0x30000
paging_entry:
    push {{r4-r6, lr}}
    ldr r4, paging_bss
    mov r5, #1
    str r5, [r4]
    add r4, r4, #4096
    mov r5, #2
    str r5, [r4]
    add r4, r4, #4096
    mov r5, #3
    str r5, [r4]
    ldr r4, paging_bss
    ldr r6, [r4]
    add r4, r4, #4096
    ldr r5, [r4]
    add r6, r6, r5
    add r4, r4, #4096
    ldr r5, [r4]
    add r6, r6, r5
    adr r0, paging_msg
    ldr r1, paging_len
    mov r7, #1
    svc #0
    mov r0, r6
    mov r7, #3
    svc #0
1:  b 1b
paging_end:
    .global __image_paging_end
__image_paging_end:

    .balign 4
    .global __image_timer_start
__image_timer_start:
    elf_header 0x50000, (timer_entry - timer_text), 1
    load_segment (timer_text - __image_timer_start), 0x50000, (timer_end - timer_text), (timer_end - timer_text), 5
timer_text:
timer_msg:
    .ascii "third process: the clock advanced while it spun"
timer_msg_end:
    .balign 4
timer_len:
    .word timer_msg_end - timer_msg
timer_spins:
    .word 200000
timer_entry:
    mov r7, #2
    svc #0
    mov r4, r0
    ldr r5, timer_spins
1:  subs r5, r5, #1
    bne 1b
    mov r7, #2
    svc #0
    sub r6, r0, r4
    adr r0, timer_msg
    ldr r1, timer_len
    mov r7, #1
    svc #0
    cmp r6, #0
    moveq r0, #98
    movne r0, #3
    mov r7, #3
    svc #0
2:  b 2b
timer_end:
    .global __image_timer_end
__image_timer_end:

    .balign 4
    .global __image_snoop_start
__image_snoop_start:
    elf_header 0x40000, (snoop_entry - snoop_text), 1
    load_segment (snoop_text - __image_snoop_start), 0x40000, (snoop_end - snoop_text), (snoop_end - snoop_text), 5
snoop_text:
    @ Not reached from the entry: a guest kernel may start a thread here
    @ to see an undefined instruction.
    udf #0
snoop_entry:
    ldr r0, [r0]
    mov r7, #3
    svc #0
1:  b 1b
snoop_end:
    .global __image_snoop_end
__image_snoop_end:

    .balign 4
    .global __image_looper_start
__image_looper_start:
    elf_header 0x60000, (looper_entry - looper_text), 1
    load_segment (looper_text - __image_looper_start), 0x60000, (looper_end - looper_text), (looper_end - looper_text), 5
looper_text:
looper_entry:
1:  b 1b
looper_end:
    .global __image_looper_end
__image_looper_end:

    .balign 4
    .global __image_calls_start
__image_calls_start:
    elf_header 0x10000, (calls_entry - calls_text), 1
    load_segment (calls_text - __image_calls_start), 0x10000, (calls_end - calls_text), (calls_end - calls_text), 5
calls_text:
calls_entry:
    mov r4, r0
    mov r5, r1
1:  mov r7, r5
    svc #0
    subs r4, r4, #1
    bne 1b
    mov r0, #0
    mov r7, #3
    svc #0
2:  b 2b
calls_end:
    .global __image_calls_end
__image_calls_end:

    .balign 4
    .global __image_faults_start
__image_faults_start:
    elf_header 0x10000, (faults_entry - faults_text), 1
    load_segment (faults_text - __image_faults_start), 0x10000, (faults_end - faults_text), (faults_end - faults_text), 5
faults_text:
faults_first:
    .word 0x20000
faults_entry:
    mov r4, r0
    ldr r5, faults_first
    add r6, r5, #4096
1:  ldr r0, [r5]
    ldr r0, [r6]
    subs r4, r4, #1
    bne 1b
    mov r0, #0
    mov r7, #3
    svc #0
2:  b 2b
faults_end:
    .global __image_faults_end
__image_faults_end:
"#
);

extern "C" {
    static __image_hello_start: u8;
    static __image_hello_end: u8;
    static __image_paging_start: u8;
    static __image_paging_end: u8;
    static __image_timer_start: u8;
    static __image_timer_end: u8;
    static __image_snoop_start: u8;
    static __image_snoop_end: u8;
    static __image_looper_start: u8;
    static __image_looper_end: u8;
    static __image_calls_start: u8;
    static __image_calls_end: u8;
    static __image_faults_start: u8;
    static __image_faults_end: u8;
}

/// Which image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Image {
    /// Writes a line and reads the clock.
    Hello,
    /// Demand paging of its stack and bss.
    Paging,
    /// Reads the clock around a spin.
    Timer,
    /// Reads the word its `r0` names.
    Snoop,
    /// Never ends.
    Looper,
    /// System calls in a loop.
    Calls,
    /// Page faults in a loop.
    Faults,
}

/// The bytes of `image`.
pub fn bytes(image: Image) -> &'static [u8] {
    // SAFETY: each pair of symbols brackets one image in this partition's
    // read-only data (the assembly above); the bytes are never written.
    unsafe {
        let (start, end): (*const u8, *const u8) = match image {
            Image::Hello => (&__image_hello_start, &__image_hello_end),
            Image::Paging => (&__image_paging_start, &__image_paging_end),
            Image::Timer => (&__image_timer_start, &__image_timer_end),
            Image::Snoop => (&__image_snoop_start, &__image_snoop_end),
            Image::Looper => (&__image_looper_start, &__image_looper_end),
            Image::Calls => (&__image_calls_start, &__image_calls_end),
            Image::Faults => (&__image_faults_start, &__image_faults_end),
        };
        core::slice::from_raw_parts(start, end as usize - start as usize)
    }
}
