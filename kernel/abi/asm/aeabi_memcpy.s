@ __aeabi_memcpy4 / __aeabi_memcpy8 (ARM run-time ABI): copy r2 bytes from
@ r1 to r0, both at least word aligned. Eight words per ldm/stm pair, then
@ words, then bytes. These replace compiler_builtins' weak definitions,
@ which move one word per five instructions. Shared by the kernel and
@ userlib through include_str! (so braces are doubled: this is an asm! template).
    .section .text.__aeabi_memcpy4, "ax"
    .arm
    .global __aeabi_memcpy4
    .global __aeabi_memcpy8
    .type __aeabi_memcpy4, %function
    .type __aeabi_memcpy8, %function
__aeabi_memcpy8:
__aeabi_memcpy4:
    subs    r2, r2, #32
    blo     2f
    push    {{r4-r10}}
1:  ldmia   r1!, {{r3-r10}}
    subs    r2, r2, #32
    stmia   r0!, {{r3-r10}}
    bhs     1b
    pop     {{r4-r10}}
2:  adds    r2, r2, #28
    blo     4f
3:  ldr     r3, [r1], #4
    subs    r2, r2, #4
    str     r3, [r0], #4
    bhs     3b
4:  adds    r2, r2, #4
    bxeq    lr
5:  ldrb    r3, [r1], #1
    subs    r2, r2, #1
    strb    r3, [r0], #1
    bne     5b
    bx      lr
    .size __aeabi_memcpy4, . - __aeabi_memcpy4
