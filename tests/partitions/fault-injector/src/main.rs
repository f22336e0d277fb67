//! Test partition: commits the fault its configuration names
//! ([`test_fault_injector::config::Fault`]), which the kernel must report
//! and answer by stopping this partition only: read a kernel address, read
//! an unmapped address, write its own text, an undefined instruction, or a
//! Rust panic (not a fault: the thread reports it and exits, so the
//! partition finishes).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use test_fault_injector::config::{Config, Fault};
    use userlib::Start;

    userlib::entry!(main);

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("fault injector: {=str}", error.name()),
        };
        match config.fault {
            Fault::KernelRead => {
                defmt::info!("reading kernel address 0xc0000000");
                // SAFETY: deliberately faults; the kernel stops us here.
                let v = unsafe { core::ptr::read_volatile(0xC000_0000 as *const u32) };
                defmt::error!("read {=u32} from the kernel", v);
            }
            Fault::UnmappedRead => {
                defmt::info!("reading unmapped address 0x40000000");
                // SAFETY: deliberately faults.
                let v = unsafe { core::ptr::read_volatile(0x4000_0000 as *const u32) };
                defmt::error!("read {=u32} from nowhere", v);
            }
            Fault::TextWrite => {
                let text = main as fn(Start) as *const () as usize as *mut u32;
                defmt::info!("writing own text at {=u32:#x}", text as u32);
                // SAFETY: deliberately faults: text is read-only.
                unsafe { core::ptr::write_volatile(text, 0) };
                defmt::error!("wrote own text");
            }
            Fault::UndefinedInstruction => {
                defmt::info!("executing an undefined instruction");
                // SAFETY: deliberately faults.
                unsafe { core::arch::asm!("udf #7") };
                defmt::error!("survived an undefined instruction");
            }
            Fault::Panic => panic!("requested panic"),
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-fault-injector is a partition for the system tests");
}
