//! One request from decoding to status: who the caller is (its badge),
//! whether the run lies in its region, where its data is, and the disk
//! operation. Validate, then act: a request that fails any check touches
//! neither the disk nor the caller's memory.

use block_protocol::config::{Config, ExchangeMode};
use block_protocol::{Opcode, Request, Status, BLOCK_SIZE};

use crate::disk::Disk;

/// Where a caller's data is.
pub trait Buffers {
    /// `count` blocks of the caller's memory for a run in `mode` starting
    /// at window page `page` (copy) or at the start of the lent frame
    /// (grant-map); `writable` when the server will write them (a read).
    /// `None` if the caller's memory does not hold them.
    fn buffer(
        &mut self,
        mode: ExchangeMode,
        page: u32,
        count: u32,
        writable: bool,
    ) -> Option<&mut [u8]>;
}

/// What a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The reply's status.
    pub status: Status,
    /// Blocks moved.
    pub blocks: u32,
    /// The operation, if the request decoded (for the latency model).
    pub opcode: Option<Opcode>,
}

impl Outcome {
    const fn refused(status: Status, opcode: Option<Opcode>) -> Outcome {
        Outcome {
            status,
            blocks: 0,
            opcode,
        }
    }

    /// The reply's message words.
    pub const fn words(self) -> [u32; 2] {
        [self.status as u32, self.blocks]
    }
}

/// Serves one request from the client with `badge`.
pub fn serve(
    config: &Config,
    badge: u32,
    words: [u32; 4],
    len: usize,
    buffers: &mut impl Buffers,
    disk: &mut impl Disk,
) -> Outcome {
    let Some(region) = config.region(badge) else {
        return Outcome::refused(Status::UnknownClient, None);
    };
    let request = match Request::decode(words, len) {
        Ok(request) => request,
        Err(status) => return Outcome::refused(status, None),
    };
    let opcode = Some(request.opcode);
    if request.opcode == Opcode::Flush {
        return match disk.flush() {
            Ok(()) => Outcome {
                status: Status::Ok,
                blocks: 0,
                opcode,
            },
            Err(status) => Outcome::refused(status, opcode),
        };
    }
    if region.mode == ExchangeMode::GrantMap && request.page != 0 {
        return Outcome::refused(Status::Malformed, opcode);
    }
    let first = match region.locate(&request) {
        Ok(first) => first,
        Err(status) => return Outcome::refused(status, opcode),
    };
    let reading = request.opcode == Opcode::Read;
    let Some(buffer) = buffers.buffer(region.mode, request.page, request.count, reading) else {
        return Outcome::refused(Status::BadBuffer, opcode);
    };
    let Some(buffer) = buffer.get_mut(..request.count as usize * BLOCK_SIZE) else {
        return Outcome::refused(Status::BadBuffer, opcode);
    };
    let result = if reading {
        disk.read(first, buffer)
    } else {
        disk.write(first, buffer)
    };
    match result {
        Ok(()) => Outcome {
            status: Status::Ok,
            blocks: request.count,
            opcode,
        },
        Err(status) => Outcome::refused(status, opcode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use block_protocol::config::ExchangeMode::{Copy, GrantMap};
    use block_protocol::DeviceModel;
    use proptest::prelude::*;

    /// A disk in memory that remembers which blocks were touched.
    struct MemoryDisk {
        blocks: Vec<[u8; BLOCK_SIZE]>,
        touched: Vec<u32>,
    }

    impl MemoryDisk {
        fn new(blocks: usize) -> MemoryDisk {
            MemoryDisk {
                blocks: vec![[0; BLOCK_SIZE]; blocks],
                touched: Vec::new(),
            }
        }
    }

    impl Disk for MemoryDisk {
        fn read(&mut self, block: u32, buffer: &mut [u8]) -> Result<(), Status> {
            for (i, out) in buffer.chunks_mut(BLOCK_SIZE).enumerate() {
                let b = block + i as u32;
                self.touched.push(b);
                out.copy_from_slice(self.blocks.get(b as usize).ok_or(Status::DeviceError)?);
            }
            Ok(())
        }

        fn write(&mut self, block: u32, data: &[u8]) -> Result<(), Status> {
            for (i, part) in data.chunks(BLOCK_SIZE).enumerate() {
                let b = block + i as u32;
                self.touched.push(b);
                self.blocks
                    .get_mut(b as usize)
                    .ok_or(Status::DeviceError)?
                    .copy_from_slice(part);
            }
            Ok(())
        }

        fn flush(&mut self) -> Result<(), Status> {
            Ok(())
        }
    }

    /// A client's memory: a window of `pages` (copy) or a lent frame.
    struct Memory {
        pages: Vec<u8>,
        lent: Option<(Vec<u8>, bool)>,
    }

    impl Buffers for Memory {
        fn buffer(
            &mut self,
            mode: ExchangeMode,
            page: u32,
            count: u32,
            writable: bool,
        ) -> Option<&mut [u8]> {
            match mode {
                Copy => {
                    let start = page as usize * BLOCK_SIZE;
                    let end = start.checked_add(count as usize * BLOCK_SIZE)?;
                    self.pages.get_mut(start..end)
                }
                GrantMap => {
                    let (frame, frame_writable) = self.lent.as_mut()?;
                    if writable && !*frame_writable || frame.len() < count as usize * BLOCK_SIZE {
                        return None;
                    }
                    Some(frame)
                }
            }
        }
    }

    fn config() -> Config {
        Config::new(DeviceModel::None, &[(Copy, 1), (GrantMap, 1)]).unwrap()
    }

    fn window(pages: usize) -> Memory {
        Memory {
            pages: vec![0; pages * BLOCK_SIZE],
            lent: None,
        }
    }

    #[test]
    fn a_client_reaches_only_its_region() {
        let config = config();
        let mut disk = MemoryDisk::new(512);
        let mut memory = window(4);
        memory.pages.fill(0x11);
        let write = |block, count| Request::write(block, count, 0).encode();
        let [a, b, c] = write(255, 1);
        let done = serve(&config, 1, [a, b, c, 0], 3, &mut memory, &mut disk);
        assert_eq!(done.status, Status::Ok);
        assert_eq!(disk.touched, [255]);
        let [a, b, c] = write(255, 2);
        let refused = serve(&config, 1, [a, b, c, 0], 3, &mut memory, &mut disk);
        assert_eq!(refused.status, Status::OutOfRange);
        // Client 2's block 0 is disk block 256.
        let mut lent = Memory {
            pages: Vec::new(),
            lent: Some((vec![0x22; BLOCK_SIZE], false)),
        };
        let [a, b, c] = write(0, 1);
        assert_eq!(
            serve(&config, 2, [a, b, c, 0], 3, &mut lent, &mut disk).status,
            Status::Ok
        );
        assert_eq!(disk.touched, [255, 256]);
        assert_eq!(disk.blocks[256], [0x22; BLOCK_SIZE]);
    }

    #[test]
    fn bad_requests_change_nothing() {
        let config = config();
        let mut disk = MemoryDisk::new(512);
        let mut memory = window(2);
        let cases: [([u32; 4], usize, u32, Status); 6] = [
            ([1 | 1 << 8, 0, 0, 0], 3, 9, Status::UnknownClient),
            ([7, 0, 0, 0], 3, 1, Status::Malformed),
            ([1 | 1 << 8, 0, 0, 0], 1, 1, Status::Malformed),
            ([1 | 3 << 8, 0, 0, 0], 3, 1, Status::BadBuffer),
            ([1 | 1 << 8, 0, 2, 0], 3, 1, Status::BadBuffer),
            // A grant-map client without a frame.
            ([1 | 1 << 8, 0, 0, 0], 3, 2, Status::BadBuffer),
        ];
        for (words, len, badge, status) in cases {
            let outcome = serve(&config, badge, words, len, &mut memory, &mut disk);
            assert_eq!(outcome.status, status, "{words:x?}");
            assert_eq!(outcome.blocks, 0);
        }
        assert!(disk.touched.is_empty());
        // A read into a frame lent read-only is refused too.
        let mut lent = Memory {
            pages: Vec::new(),
            lent: Some((vec![0; BLOCK_SIZE], false)),
        };
        let [a, b, c] = Request::read(0, 1, 0).encode();
        assert_eq!(
            serve(&config, 2, [a, b, c, 0], 3, &mut lent, &mut disk).status,
            Status::BadBuffer
        );
        assert!(disk.touched.is_empty());
    }

    proptest! {
        /// Whatever two clients send, every block the disk sees lies in
        /// the region of the client that asked.
        #[test]
        fn no_request_leaves_its_region(
            requests in proptest::collection::vec(
                (1u32..=3, 0u32..4, 0u32..600, 0u32..6, 0u32..3, 2usize..=4), 1..40),
        ) {
            let config = config();
            let mut disk = MemoryDisk::new(1024);
            for (badge, op, block, count, page, len) in requests {
                let words = [op | count << 8, block, page, 0];
                let mut memory = Memory {
                    pages: vec![0; 4 * BLOCK_SIZE],
                    lent: Some((vec![0; 4 * BLOCK_SIZE], true)),
                };
                disk.touched.clear();
                let outcome = serve(&config, badge, words, len, &mut memory, &mut disk);
                match config.region(badge) {
                    Some(region) => {
                        for &b in &disk.touched {
                            prop_assert!(b >= region.start && b < region.start + region.blocks);
                        }
                        if outcome.status == Status::Ok {
                            prop_assert_eq!(disk.touched.len() as u32, outcome.blocks);
                        } else {
                            prop_assert!(disk.touched.is_empty());
                        }
                    }
                    None => prop_assert!(disk.touched.is_empty()),
                }
            }
        }
    }
}
