//! Runs from the client's side: `put_run` and `get_run` send the request
//! their run and the transport's mode and slot make, accept a count of
//! pages no larger than the run, read a miss of the first page as 0 pages,
//! and refuse any other answer (a count beyond the run, a reply to another
//! request) as an error, never a panic.

mod fake;

use fake::{store, FakeTransport};
use tmem_client::ops::{get_run, put_run};
use tmem_client::{PoolId, Reply, TmemClientError};
use tmem_protocol::{ExchangeMode, Opcode, PageRun, Request, RunLength, Slot, Status};

fn run(pages: usize) -> PageRun {
    PageRun::new(
        PoolId::new(1).unwrap(),
        9,
        100,
        RunLength::new(pages).unwrap(),
    )
    .unwrap()
}

fn answering(reply: Reply) -> FakeTransport {
    let server = store(16, u32::MAX);
    let mut transport = FakeTransport::new(&server, 1, ExchangeMode::GrantMap);
    transport.next_reply = Some((reply.encode(), Reply::WORDS));
    transport
}

#[test]
fn a_run_request_carries_the_run_the_mode_and_the_slot() {
    let mut transport = answering(Reply::RunPut { pages: 4 });
    assert_eq!(put_run(&mut transport, run(4)), Ok(4));
    assert_eq!(
        transport.requests,
        [Request::PutRun {
            run: run(4),
            exchange: ExchangeMode::GrantMap,
            slot: Slot::FIRST,
        }]
    );
    let mut transport = answering(Reply::RunGot { pages: 2 });
    assert_eq!(get_run(&mut transport, run(4)), Ok(2), "a run cut short");
    assert!(matches!(transport.requests[0], Request::GetRun { .. }));
}

#[test]
fn a_first_page_miss_is_zero_pages_and_other_refusals_are_errors() {
    let miss = Reply::Failed {
        op: Some(Opcode::GetRun),
        status: Status::NotFound,
    };
    assert_eq!(get_run(&mut answering(miss), run(4)), Ok(0));
    let full = Reply::Failed {
        op: Some(Opcode::PutRun),
        status: Status::NoMemory,
    };
    assert_eq!(
        put_run(&mut answering(full), run(4)),
        Err(TmemClientError::Refused(Status::NoMemory))
    );
}

#[test]
fn more_pages_than_asked_or_another_requests_reply_is_unexpected() {
    let too_many = Reply::RunPut { pages: 5 };
    assert_eq!(
        put_run(&mut answering(too_many), run(4)),
        Err(TmemClientError::UnexpectedReply(too_many))
    );
    let single = Reply::PageGot;
    assert_eq!(
        get_run(&mut answering(single), run(1)),
        Err(TmemClientError::UnexpectedReply(single))
    );
    let crossed = Reply::RunGot { pages: 1 };
    assert_eq!(
        put_run(&mut answering(crossed), run(1)),
        Err(TmemClientError::UnexpectedReply(crossed))
    );
}
