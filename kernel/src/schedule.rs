//! The cyclic time-window schedule: a major frame of windows, each owned by
//! one partition, repeated forever. Time is counted in kernel ticks of one
//! millisecond.
//!
//! The schedule comes from the system image and is checked again here;
//! it must never give a window to a partition that does not exist.

use boot_info::Schedule as ScheduleInfo;

/// Why a schedule was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    /// No windows, or a zero-length one.
    Empty,
    /// A window names a partition index that does not exist.
    NoSuchPartition { window: usize },
    /// The table given for the windows is not one entry per window.
    WrongStorage,
    /// The windows do not add up to the major frame.
    WrongTotal {
        windows_ms: u64,
        major_frame_ms: u32,
    },
}

/// Where the current tick is in the schedule: its window and its place in
/// the major frame. Moving it on by a tick costs the same for any number
/// of windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowCursor {
    window: usize,
    position: u32,
}

/// A checked schedule, its table of windows in memory allocated at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule<'a> {
    /// End tick (exclusive, within the frame) and owner of each window.
    ends: &'a [(u32, usize)],
    major_frame: u32,
}

impl<'a> Schedule<'a> {
    /// Checks `info` against the number of partitions and fills `ends`
    /// (one entry per window) with the windows' ends and owners.
    pub fn new(
        info: &ScheduleInfo,
        partitions: usize,
        ends: &'a mut [(u32, usize)],
    ) -> Result<Schedule<'a>, ScheduleError> {
        if info.windows.is_empty() || info.windows.iter().any(|w| w.duration_ms == 0) {
            return Err(ScheduleError::Empty);
        }
        if ends.len() != info.windows.len() {
            return Err(ScheduleError::WrongStorage);
        }
        let mut total: u64 = 0;
        for (index, (window, slot)) in info.windows.iter().zip(ends.iter_mut()).enumerate() {
            let partition = window.partition as usize;
            if partition >= partitions {
                return Err(ScheduleError::NoSuchPartition { window: index });
            }
            total += u64::from(window.duration_ms);
            let end = u32::try_from(total).map_err(|_| ScheduleError::WrongTotal {
                windows_ms: total,
                major_frame_ms: info.major_frame_ms,
            })?;
            *slot = (end, partition);
        }
        if total != u64::from(info.major_frame_ms) {
            return Err(ScheduleError::WrongTotal {
                windows_ms: total,
                major_frame_ms: info.major_frame_ms,
            });
        }
        Ok(Schedule {
            ends,
            major_frame: info.major_frame_ms,
        })
    }

    /// The partition whose window contains tick `tick` (ticks since the
    /// first major frame began).
    pub fn owner_at(&self, tick: u64) -> usize {
        let position = (tick % u64::from(self.major_frame)) as u32;
        self.ends
            .iter()
            .find(|(end, _)| position < *end)
            .map_or(self.ends[0].1, |(_, owner)| *owner)
    }

    /// Moves `cursor` on by one tick (from tick 0, where the default
    /// cursor is); the partition whose window the new tick is in.
    pub fn advance(&self, cursor: &mut WindowCursor) -> usize {
        cursor.position += 1;
        if cursor.position >= self.major_frame {
            *cursor = WindowCursor::default();
        } else if cursor.position >= self.ends[cursor.window].0 {
            cursor.window += 1;
        }
        self.ends[cursor.window].1
    }

    /// Length of the major frame in ticks.
    pub fn major_frame(&self) -> u32 {
        self.major_frame
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use boot_info::Window;

    fn schedule(
        windows: &[(u8, u32)],
        major: u32,
        partitions: usize,
    ) -> Result<Schedule<'static>, ScheduleError> {
        let info = info(windows, major);
        Schedule::new(
            &info,
            partitions,
            std::vec![(0, 0); info.windows.len()].leak(),
        )
    }

    fn info(windows: &[(u8, u32)], major: u32) -> ScheduleInfo<'static> {
        ScheduleInfo {
            major_frame_ms: major,
            windows: windows
                .iter()
                .map(|&(partition, duration_ms)| Window {
                    partition,
                    duration_ms,
                })
                .collect(),
            stop_after_ms: 0,
        }
    }

    #[test]
    fn owners_follow_the_windows_and_repeat() {
        let s = schedule(&[(0, 1), (1, 3)], 4, 2).unwrap();
        let owners: std::vec::Vec<_> = (0..9).map(|t| s.owner_at(t)).collect();
        assert_eq!(owners, [0, 1, 1, 1, 0, 1, 1, 1, 0]);
    }

    #[test]
    fn a_cursor_moved_tick_by_tick_agrees_with_the_owner_at_each_tick() {
        for (windows, major) in [
            (&[(0, 1), (1, 3)][..], 4),
            (&[(2, 5), (0, 1), (1, 1), (2, 2)][..], 9),
            (&[(0, 1)][..], 1),
        ] {
            let s = schedule(windows, major, 3).unwrap();
            let mut cursor = WindowCursor::default();
            for tick in 1..(3 * u64::from(major) + 2) {
                assert_eq!(s.advance(&mut cursor), s.owner_at(tick), "tick {tick}");
            }
        }
    }

    #[test]
    fn rejects_bad_schedules() {
        assert_eq!(schedule(&[], 4, 2), Err(ScheduleError::Empty));
        assert_eq!(schedule(&[(0, 0), (1, 4)], 4, 2), Err(ScheduleError::Empty));
        assert_eq!(
            schedule(&[(0, 1), (2, 3)], 4, 2),
            Err(ScheduleError::NoSuchPartition { window: 1 })
        );
        assert_eq!(
            schedule(&[(0, 1), (1, 2)], 4, 2),
            Err(ScheduleError::WrongTotal {
                windows_ms: 3,
                major_frame_ms: 4
            })
        );
        assert!(schedule(&[(0, u32::MAX), (1, u32::MAX)], 4, 2).is_err());
    }
}
