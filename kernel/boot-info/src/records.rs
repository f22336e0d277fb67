//! A variable-length section of the boot-info table: a count and the
//! postcard encodings of that many records, one after another, borrowed
//! from the image's bytes and decoded one at a time.
//!
//! This is what lets a system have as many partitions, threads or windows
//! as its description names without a compile-time maximum: the kernel
//! never holds a whole section decoded. It must never trust the bytes:
//! [`Records::check`] decodes every record once (the image parser calls it
//! at boot), and iteration stops at the first record that does not decode.

use core::marker::PhantomData;

use serde::{Deserialize, Serialize};

/// `count` postcard-encoded records of type `T`.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Records<'a, T> {
    count: u32,
    #[serde(borrow)]
    bytes: &'a [u8],
    #[serde(skip)]
    record: PhantomData<T>,
}

impl<T> Clone for Records<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Records<'_, T> {}

impl<T> PartialEq for Records<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.bytes == other.bytes
    }
}

impl<T> Eq for Records<'_, T> {}

impl<T> core::fmt::Debug for Records<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Records({} in {} bytes)", self.count, self.bytes.len())
    }
}

impl<T> Default for Records<'_, T> {
    fn default() -> Self {
        Records {
            count: 0,
            bytes: &[],
            record: PhantomData,
        }
    }
}

impl<'a, T: Deserialize<'a>> Records<'a, T> {
    /// How many records the section says it holds.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bytes of the encoded records.
    pub fn encoded(&self) -> &'a [u8] {
        self.bytes
    }

    /// The records, decoded one by one.
    pub fn iter(&self) -> RecordIter<'a, T> {
        RecordIter {
            left: self.count,
            bytes: self.bytes,
            record: PhantomData,
        }
    }

    /// Record `index`, decoding the ones before it (for boot and tests,
    /// not for hot paths).
    pub fn get(&self, index: usize) -> Option<T> {
        self.iter().nth(index)
    }

    /// Whether exactly `len()` records decode and fill the bytes, and
    /// `each` accepts every one of them.
    pub fn check(&self, mut each: impl FnMut(&T) -> bool) -> bool {
        let mut bytes = self.bytes;
        for _ in 0..self.count {
            match postcard::take_from_bytes::<T>(bytes) {
                Ok((record, rest)) if each(&record) => bytes = rest,
                _ => return false,
            }
        }
        bytes.is_empty()
    }
}

#[cfg(feature = "alloc")]
impl<T: Serialize> Records<'static, T> {
    /// A section holding `records`. The encoding is leaked: images are
    /// built once by a short-lived process (xtask, tests).
    pub fn encode(records: &[T]) -> Result<Records<'static, T>, postcard::Error> {
        let mut bytes = alloc::vec::Vec::new();
        for record in records {
            bytes.extend_from_slice(&postcard::to_allocvec(record)?);
        }
        Ok(Records {
            count: u32::try_from(records.len())
                .map_err(|_| postcard::Error::SerializeBufferFull)?,
            bytes: bytes.leak(),
            record: PhantomData,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: Serialize> FromIterator<T> for Records<'static, T> {
    /// A section of the records `iter` yields (see [`Records::encode`]).
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let records: alloc::vec::Vec<T> = iter.into_iter().collect();
        // Encoding into a growable buffer fails only past `u32::MAX` records.
        Records::encode(&records).expect("records encode")
    }
}

/// The records of a section, decoded as they are reached.
pub struct RecordIter<'a, T> {
    left: u32,
    bytes: &'a [u8],
    record: PhantomData<T>,
}

impl<'a, T: Deserialize<'a>> Iterator for RecordIter<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.left = self.left.checked_sub(1)?;
        match postcard::take_from_bytes::<T>(self.bytes) {
            Ok((record, rest)) => {
                self.bytes = rest;
                Some(record)
            }
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

impl<'a, T: Deserialize<'a>> IntoIterator for &Records<'a, T> {
    type Item = T;
    type IntoIter = RecordIter<'a, T>;

    fn into_iter(self) -> RecordIter<'a, T> {
        self.iter()
    }
}
