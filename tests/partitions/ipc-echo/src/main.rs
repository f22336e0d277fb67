//! Test partition: a server on the endpoint in slot 0; its configuration
//! ([`test_ipc_echo::config::Config`]) says which.
//!
//! Role `echo`, the echo server: each call's reply is `[first word + 1, the
//! caller's badge, the call's length]`. A call whose first word is `0xDEAD`
//! makes it fault mid-call (it reads a kernel address), so tests can see
//! what the kernel does to its caller.
//!
//! Role `page-server`, the page server: it accepts a frame capability into slot 5
//! with each message. Request `[1]` (with a frame): map it in the grant
//! window, read the first word, write it + 1 after it, reply `[word]`.
//! Request `[2]`: read the grant window as it is now and reply `[word]` —
//! a fault if the mapping is gone. Request `[3]` (a sent frame): map it.
//!
//! Role `buffer-server`, a buffer server: see `buffer_server`.
//!
//! Role `pager`, a pager: each message is a page fault (`[address, access,
//! pc]`); the reply transfers the next of its frames (slots 3 and 4), which
//! the kernel maps at the faulting page.
//!
//! Role `bench-pager`, the benchmark's pager: answers every fault with a derived
//! copy of its frame in slot 3, quietly (the benchmark faults 10,000
//! times).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::user_layout::GRANT_WINDOW;
    use test_ipc_echo::config::{Config, Role};
    use userlib::ipc::{Carry, Endpoint, Frame, Message};
    use userlib::Start;

    /// First word of a request that makes the server fault.
    const FAULT_REQUEST: u32 = 0xDEAD;

    userlib::entry!(main);

    /// Where a granted frame lands.
    const RECEIVE_SLOT: u16 = 5;

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("ipc echo: {=str}", error.name()),
        };
        match config.role {
            Role::PageServer => return page_server(),
            Role::Pager => return pager(),
            Role::BufferServer => return buffer_server(),
            Role::BenchPager => return bench_pager(),
            Role::Echo => {}
        }
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

    /// Role `buffer-server`: each call carries `(number, text)` in the IPC buffer;
    /// the reply carries `(number * 2, length of text)` back the same way.
    fn buffer_server() {
        use userlib::ipc::IpcBuffer;
        let endpoint = Endpoint(0);
        let mut buffer = IpcBuffer::of_thread(0);
        let mut message = match endpoint.recv() {
            Ok(message) => message,
            Err(error) => return defmt::error!("recv failed: {=str}", error.name()),
        };
        loop {
            let answer = match buffer.read::<(u32, &str)>() {
                Ok((number, text)) if message.buffer => (number * 2, text.len() as u32),
                _ => (0, 0),
            };
            if buffer.write(&answer).is_err() {
                defmt::error!("cannot write the answer");
            }
            message = match endpoint.reply_recv_with(&[], Carry::BUFFER) {
                Ok(message) => message,
                Err(error) => return defmt::error!("reply_recv failed: {=str}", error.name()),
            };
        }
    }

    fn pager() {
        use kernel_abi::cap::{GrantKind, Rights};
        use userlib::ipc::Grant;
        let endpoint = Endpoint(0);
        let mut frames = [3u16, 4].into_iter();
        defmt::info!("pager ready");
        let mut message = match endpoint.recv() {
            Ok(message) => message,
            Err(error) => return defmt::error!("recv failed: {=str}", error.name()),
        };
        loop {
            let [address, access, pc, _] = message.words;
            defmt::info!(
                "page fault at {=u32:#x} (access {=u32}, pc {=u32:#x}) from badge {=u32}",
                address,
                access,
                pc,
                message.badge
            );
            let grant = frames.next().map(|slot| Grant {
                slot,
                kind: GrantKind::Transfer,
                rights: Rights::NONE,
            });
            if grant.is_none() {
                defmt::info!("out of frames");
            }
            message = match endpoint.reply_recv_with(&[], Carry::grant(grant)) {
                Ok(message) => message,
                Err(error) => return defmt::error!("reply_recv failed: {=str}", error.name()),
            };
        }
    }

    fn bench_pager() {
        use kernel_abi::cap::{GrantKind, Rights};
        use userlib::ipc::Grant;
        let endpoint = Endpoint(0);
        let copy = Grant {
            slot: 3,
            kind: GrantKind::DerivedCopy,
            rights: Rights::READ.union(Rights::WRITE),
        };
        let mut message = endpoint.recv();
        loop {
            if let Err(error) = message {
                return defmt::error!("bench pager: {=str}", error.name());
            }
            message = endpoint.reply_recv_with(&[], Carry::grant(Some(copy)));
        }
    }

    fn page_server() {
        let endpoint = Endpoint(0);
        let window = GRANT_WINDOW as *mut u32;
        defmt::info!("page server ready");
        let mut message: Message = match endpoint.recv_into(Some(RECEIVE_SLOT)) {
            Ok(message) => message,
            Err(error) => return defmt::error!("recv failed: {=str}", error.name()),
        };
        loop {
            let mut reply = [0u32; 1];
            if message.granted.is_some() {
                if let Err(error) = Frame(RECEIVE_SLOT).map(GRANT_WINDOW, true) {
                    defmt::error!("map failed: {=str}", error.name());
                }
            }
            match message.words[0] {
                1 => {
                    // SAFETY: the frame was just mapped read/write here.
                    let word = unsafe { window.read_volatile() };
                    // SAFETY: as above; the frame is at least one page.
                    unsafe { window.add(1).write_volatile(word + 1) };
                    reply[0] = word;
                }
                2 => {
                    defmt::info!("reading the grant window");
                    // SAFETY: faults if the mapping is gone, as tests expect.
                    reply[0] = unsafe { window.read_volatile() };
                }
                _ => {}
            }
            message = match endpoint.reply_recv_with(&reply, Carry::receive(Some(RECEIVE_SLOT))) {
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
