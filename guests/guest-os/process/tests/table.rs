//! The process table: lifecycle transitions and their errors, round-robin
//! choice, sleeping and waking, open files — and a property test against a
//! plain model.

use std::collections::BTreeMap;

use guest_mm::{FileId, ProcessId};
use guest_process::*;
use proptest::prelude::*;

#[test]
fn a_process_lives_ends_and_is_reaped() {
    let mut table = ProcessTable::new(4);
    let p = table.spawn().unwrap();
    assert_eq!(table.state(p), Ok(ProcessState::Ready));
    assert_eq!(
        table.reap(p),
        Err(ProcessError::NotLive(p)),
        "a live process is not reaped"
    );
    table.exit(p, 3).unwrap();
    assert_eq!(table.exit(p, 4), Err(ProcessError::NotLive(p)));
    assert_eq!(
        table.kill(p, KillReason::Requested),
        Err(ProcessError::NotLive(p))
    );
    assert_eq!(table.sleep(p, 10), Err(ProcessError::NotLive(p)));
    assert_eq!(table.next_ready(), None);
    assert_eq!(table.reap(p), Ok(ProcessState::Exited { code: 3 }));
    assert_eq!(table.state(p), Err(ProcessError::NoSuchProcess(p)));
    assert_ne!(table.spawn().unwrap(), p, "ids are not reused");
}

#[test]
fn a_killed_process_says_why_and_loses_its_files() {
    let mut table = ProcessTable::new(2);
    let p = table.spawn().unwrap();
    let fd = table.open(p, FileId(5)).unwrap();
    table.kill(p, KillReason::Fault { address: 0x10 }).unwrap();
    assert_eq!(
        table.state(p),
        Ok(ProcessState::Killed {
            reason: KillReason::Fault { address: 0x10 }
        })
    );
    assert_eq!(table.file(p, fd), Err(ProcessError::BadFd(fd)));
    assert_eq!(table.open(p, FileId(5)), Err(ProcessError::NotLive(p)));
}

#[test]
fn the_table_is_bounded() {
    let mut table = ProcessTable::new(2);
    let p = table.spawn().unwrap();
    table.spawn().unwrap();
    assert_eq!(table.spawn(), Err(ProcessError::TableFull));
    table.exit(p, 0).unwrap();
    assert_eq!(
        table.spawn(),
        Err(ProcessError::TableFull),
        "an unreaped process holds its entry"
    );
    table.reap(p).unwrap();
    table.spawn().unwrap();
    assert_eq!(table.live(), 2);
}

#[test]
fn ready_processes_take_turns() {
    let mut table = ProcessTable::new(4);
    let ids: Vec<ProcessId> = (0..3).map(|_| table.spawn().unwrap()).collect();
    let order: Vec<ProcessId> = (0..6).map(|_| table.next_ready().unwrap()).collect();
    assert_eq!(order, [ids[0], ids[1], ids[2], ids[0], ids[1], ids[2]]);
    table.sleep(ids[1], 100).unwrap();
    let order: Vec<ProcessId> = (0..4).map(|_| table.next_ready().unwrap()).collect();
    assert_eq!(order, [ids[0], ids[2], ids[0], ids[2]]);
    assert_eq!(table.next_wakeup(), Some(100));
    assert_eq!(table.wake(99), 0);
    assert_eq!(table.wake(100), 1);
    assert_eq!(table.next_wakeup(), None);
    assert_eq!(table.next_ready(), Some(ids[0]));
    assert_eq!(table.next_ready(), Some(ids[1]));
}

#[test]
fn files_get_the_lowest_free_descriptor_up_to_the_limit() {
    let mut table = ProcessTable::new(1);
    let p = table.spawn().unwrap();
    for fd in 0..MAX_OPEN_FILES as u32 {
        assert_eq!(table.open(p, FileId(fd)), Ok(fd));
    }
    assert_eq!(table.open(p, FileId(99)), Err(ProcessError::TooManyFiles));
    table.close(p, 2).unwrap();
    assert_eq!(table.close(p, 2), Err(ProcessError::BadFd(2)));
    assert_eq!(table.close(p, 99), Err(ProcessError::BadFd(99)));
    assert_eq!(table.open(p, FileId(42)), Ok(2));
    table.advance(p, 2, 100).unwrap();
    table.advance(p, 2, 50).unwrap();
    assert_eq!(
        table.file(p, 2),
        Ok(OpenFile {
            file: FileId(42),
            offset: 150
        })
    );
    assert_eq!(table.advance(p, 99, 1), Err(ProcessError::BadFd(99)));
    let q = ProcessId(77);
    assert_eq!(
        table.open(q, FileId(1)),
        Err(ProcessError::NoSuchProcess(q))
    );
}

#[derive(Clone, Debug)]
enum Op {
    Spawn,
    Exit(usize, i32),
    Kill(usize),
    Sleep(usize, u64),
    Wake(u64),
    Reap(usize),
    Open(usize, u32),
    Close(usize, u32),
    Next,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Spawn),
        1 => (0..8usize, any::<i32>()).prop_map(|(p, c)| Op::Exit(p, c)),
        1 => (0..8usize).prop_map(Op::Kill),
        1 => (0..8usize, 0..100u64).prop_map(|(p, t)| Op::Sleep(p, t)),
        1 => (0..100u64).prop_map(Op::Wake),
        1 => (0..8usize).prop_map(Op::Reap),
        2 => (0..8usize, 0..4u32).prop_map(|(p, f)| Op::Open(p, f)),
        1 => (0..8usize, 0..10u32).prop_map(|(p, fd)| Op::Close(p, fd)),
        2 => Just(Op::Next),
    ]
}

/// The model: each spawned id's state and open descriptors.
#[derive(Default)]
struct Model {
    processes: BTreeMap<ProcessId, (ProcessState, Vec<u32>)>,
    spawned: Vec<ProcessId>,
}

proptest! {
    #[test]
    fn the_table_agrees_with_a_model(ops in prop::collection::vec(op(), 1..120)) {
        let mut table = ProcessTable::new(5);
        let mut model = Model::default();
        let live = |s: ProcessState| matches!(s, ProcessState::Ready | ProcessState::Sleeping { .. });
        for op in ops {
            let pick = |i: usize| model.spawned.get(i % model.spawned.len().max(1)).copied().unwrap_or(ProcessId(999));
            match op {
                Op::Spawn => match table.spawn() {
                    Ok(id) => {
                        prop_assert!(model.processes.len() < 5);
                        prop_assert!(!model.spawned.contains(&id));
                        model.spawned.push(id);
                        model.processes.insert(id, (ProcessState::Ready, vec![]));
                    }
                    Err(e) => {
                        prop_assert_eq!(e, ProcessError::TableFull);
                        prop_assert_eq!(model.processes.len(), 5);
                    }
                },
                Op::Exit(i, _) | Op::Kill(i) | Op::Sleep(i, _) => {
                    let id = pick(i);
                    let (result, new_state) = match op {
                        Op::Exit(_, code) => (table.exit(id, code), ProcessState::Exited { code }),
                        Op::Kill(_) => (
                            table.kill(id, KillReason::Requested),
                            ProcessState::Killed { reason: KillReason::Requested },
                        ),
                        Op::Sleep(_, until) => (table.sleep(id, until), ProcessState::Sleeping { until }),
                        _ => unreachable!(),
                    };
                    match model.processes.get_mut(&id) {
                        None => prop_assert_eq!(result, Err(ProcessError::NoSuchProcess(id))),
                        Some((state, _)) if !live(*state) => {
                            prop_assert_eq!(result, Err(ProcessError::NotLive(id)))
                        }
                        Some((state, files)) => {
                            prop_assert_eq!(result, Ok(()));
                            *state = new_state;
                            if !live(new_state) {
                                files.clear();
                            }
                        }
                    }
                }
                Op::Wake(now) => {
                    let mut expected = 0;
                    for (state, _) in model.processes.values_mut() {
                        if let ProcessState::Sleeping { until } = *state {
                            if until <= now {
                                *state = ProcessState::Ready;
                                expected += 1;
                            }
                        }
                    }
                    prop_assert_eq!(table.wake(now), expected);
                }
                Op::Reap(i) => {
                    let id = pick(i);
                    let result = table.reap(id);
                    match model.processes.get(&id).map(|p| p.0) {
                        None => prop_assert_eq!(result, Err(ProcessError::NoSuchProcess(id))),
                        Some(state) if live(state) => {
                            prop_assert_eq!(result, Err(ProcessError::NotLive(id)))
                        }
                        Some(state) => {
                            prop_assert_eq!(result, Ok(state));
                            model.processes.remove(&id);
                        }
                    }
                }
                Op::Open(i, file) => {
                    let id = pick(i);
                    let result = table.open(id, FileId(file));
                    match model.processes.get_mut(&id) {
                        None => prop_assert_eq!(result, Err(ProcessError::NoSuchProcess(id))),
                        Some((state, _)) if !live(*state) => {
                            prop_assert_eq!(result, Err(ProcessError::NotLive(id)))
                        }
                        Some((_, files)) => {
                            let lowest = (0..MAX_OPEN_FILES as u32).find(|fd| !files.contains(fd));
                            match lowest {
                                Some(fd) => {
                                    prop_assert_eq!(result, Ok(fd));
                                    files.push(fd);
                                }
                                None => prop_assert_eq!(result, Err(ProcessError::TooManyFiles)),
                            }
                        }
                    }
                }
                Op::Close(i, fd) => {
                    let id = pick(i);
                    let result = table.close(id, fd);
                    match model.processes.get_mut(&id) {
                        None => prop_assert_eq!(result, Err(ProcessError::NoSuchProcess(id))),
                        Some((state, _)) if !live(*state) => {
                            prop_assert_eq!(result, Err(ProcessError::NotLive(id)))
                        }
                        Some((_, files)) => match files.iter().position(|&f| f == fd) {
                            Some(at) => {
                                prop_assert_eq!(result, Ok(()));
                                files.remove(at);
                            }
                            None => prop_assert_eq!(result, Err(ProcessError::BadFd(fd))),
                        },
                    }
                }
                Op::Next => match table.next_ready() {
                    Some(id) => prop_assert_eq!(model.processes.get(&id).map(|p| p.0), Some(ProcessState::Ready)),
                    None => prop_assert!(model.processes.values().all(|p| p.0 != ProcessState::Ready)),
                },
            }
            for (&id, (state, files)) in &model.processes {
                prop_assert_eq!(table.state(id), Ok(*state));
                for fd in 0..MAX_OPEN_FILES as u32 {
                    prop_assert_eq!(table.file(id, fd).is_ok(), files.contains(&fd));
                }
            }
            prop_assert_eq!(table.live(), model.processes.values().filter(|p| live(p.0)).count());
        }
    }
}
