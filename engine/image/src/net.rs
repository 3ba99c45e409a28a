//! The one place where the network's async world meets the synchronous
//! layer pipe: a small tokio runtime runs the HTTP clients (oci-client for
//! registries, its reqwest for foreign layers' urls), a task on it pushes
//! a body's chunks into a bounded channel, and [`Body`] reads them on the
//! pipe's thread as a plain `std::io::Read`.

use std::io::{self, Read};

use crate::error::{Error, to_io};
use crate::stream::Cursor;

/// Chunks a body keeps in flight between the network task and the reader.
const DEPTH: usize = 8;

/// A runtime for the network clients: one worker thread is enough, as the
/// work is waiting on sockets; the reading happens on the pipe's threads.
pub(crate) fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("winspect-network")
        .enable_all()
        .build()
}

/// The sending half: a network task sends each chunk, or the error that
/// ended the body, and drops it at the end of the body.
pub(crate) type BodySender = tokio::sync::mpsc::Sender<Result<Vec<u8>, Error>>;

/// A body arriving from the network, read synchronously. It ends when its
/// sender is dropped; an error sent by the task is returned from `read`
/// (carried as an `io::Error`, see [`crate::error::from_io`]).
pub(crate) struct Body {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, Error>>,
    cursor: Cursor,
}

/// A bounded channel from a network task to a [`Body`].
pub(crate) fn body() -> (BodySender, Body) {
    let (tx, rx) = tokio::sync::mpsc::channel(DEPTH);
    (
        tx,
        Body {
            rx,
            cursor: Cursor::default(),
        },
    )
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = self.cursor.copy_to(buf) {
                return Ok(n);
            }
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.cursor = Cursor::new(chunk),
                Some(Err(e)) => return Err(to_io(e)),
                None => return Ok(0),
            }
        }
    }
}

/// An error and its causes, as one line.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    let mut depth = 0;
    while let Some(cause) = source {
        if depth > 8 {
            break;
        }
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
        depth += 1;
    }
    text
}
