//! Test partition: commits the fault its argument names, which the kernel
//! must report and answer by stopping this partition only.
//!
//! 1: read a kernel address, 2: read an unmapped address, 3: write its own
//! text, 4: an undefined instruction, 5: a Rust panic (not a fault: the
//! thread reports it and exits, so the partition finishes).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use userlib::Start;

    userlib::entry!(main);

    fn main(start: Start) {
        match start.argument {
            1 => {
                defmt::info!("reading kernel address 0xc0000000");
                // SAFETY: deliberately faults; the kernel stops us here.
                let v = unsafe { core::ptr::read_volatile(0xC000_0000 as *const u32) };
                defmt::error!("read {=u32} from the kernel", v);
            }
            2 => {
                defmt::info!("reading unmapped address 0x40000000");
                // SAFETY: deliberately faults.
                let v = unsafe { core::ptr::read_volatile(0x4000_0000 as *const u32) };
                defmt::error!("read {=u32} from nowhere", v);
            }
            3 => {
                let text = main as fn(Start) as *const () as usize as *mut u32;
                defmt::info!("writing own text at {=u32:#x}", text as u32);
                // SAFETY: deliberately faults: text is read-only.
                unsafe { core::ptr::write_volatile(text, 0) };
                defmt::error!("wrote own text");
            }
            4 => {
                defmt::info!("executing an undefined instruction");
                // SAFETY: deliberately faults.
                unsafe { core::arch::asm!("udf #7") };
                defmt::error!("survived an undefined instruction");
            }
            5 => panic!("requested panic"),
            other => defmt::error!("no fault number {=u32}", other),
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-fault-injector is a partition for the system tests");
}
