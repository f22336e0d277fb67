//! Test partition: an echo server on the endpoint in slot 0. Each call's
//! reply is `[first word + 1, the caller's badge, the call's length]`. A
//! call whose first word is `0xDEAD` makes it fault mid-call (it reads a
//! kernel address), so tests can see what the kernel does to its caller.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use userlib::ipc::Endpoint;
    use userlib::Start;

    /// First word of a request that makes the server fault.
    const FAULT_REQUEST: u32 = 0xDEAD;

    userlib::entry!(main);

    fn main(_: Start) {
        let endpoint = Endpoint(0);
        defmt::info!("echo server ready");
        let mut message = match endpoint.recv() {
            Ok(message) => message,
            Err(error) => return defmt::error!("recv failed: {=str}", error.name()),
        };
        loop {
            if message.words[0] == FAULT_REQUEST {
                defmt::info!("faulting mid-call as asked");
                // SAFETY: deliberately faults; the kernel stops this partition.
                unsafe { core::ptr::read_volatile(0xC000_0000 as *const u32) };
            }
            let reply = [
                message.words[0].wrapping_add(1),
                message.badge,
                u32::from(message.len),
            ];
            message = match endpoint.reply_recv(&reply) {
                Ok(message) => message,
                Err(error) => return defmt::error!("reply_recv failed: {=str}", error.name()),
            };
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-ipc-echo is a partition for the system tests");
}
