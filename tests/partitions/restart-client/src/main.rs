//! Test partition: a client of the echo server (endpoint in slot 0) that
//! outlives the server's restart. It makes [`REQUESTS`] calls `[i]` and
//! checks each reply is `i + 1`; its [`FAULTING`]-th request is the one
//! that makes the server fault (`0xDEAD`), which must end in `PeerGone`.
//! It then reconnects: it calls again, yielding while the server is down
//! (`PeerGone` at once: nobody can receive), until the restarted server
//! answers, and goes on with the remaining requests. It logs one line
//! with what it saw and exits.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use userlib::ipc::Endpoint;
    use userlib::Start;

    userlib::entry!(main);

    const SERVER: Endpoint = Endpoint(0);
    /// Calls answered in all.
    const REQUESTS: u32 = 20;
    /// The request the server faults on.
    const FAULTING: u32 = 5;
    /// The echo server's fault request.
    const FAULT_REQUEST: u32 = 0xDEAD;
    /// Calls tried while the server is down before giving up.
    const RECONNECT_TRIES: u32 = 100_000;

    fn main(_start: Start) {
        let mut correct = 0;
        let mut retries = 0;
        for i in 1..=REQUESTS {
            if i == FAULTING {
                match SERVER.call(&[FAULT_REQUEST]) {
                    Err(SyscallError::PeerGone) => {}
                    Err(error) => return defmt::error!("fault call: {=str}", error.name()),
                    Ok(_) => return defmt::error!("fault call: answered"),
                }
            }
            let reply = loop {
                match SERVER.call(&[i]) {
                    Err(SyscallError::PeerGone) if retries < RECONNECT_TRIES => {
                        retries += 1;
                        userlib::syscall::yield_now();
                    }
                    result => break result,
                }
            };
            match reply {
                Ok(reply) if reply.words[0] == i + 1 => correct += 1,
                Ok(reply) => defmt::error!("bad reply {=u32} to {=u32}", reply.words[0], i),
                Err(error) => return defmt::error!("call {=u32} failed: {=str}", i, error.name()),
            }
        }
        defmt::info!(
            "restart client: {=u32} of {=u32} replies correct, PeerGone for the call in flight, reconnected",
            correct,
            REQUESTS
        );
        if retries >= RECONNECT_TRIES {
            defmt::error!("restart client: the server never came back");
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-restart-client is a partition for the system tests");
}
