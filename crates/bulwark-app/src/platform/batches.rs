//! Importers' readers on a blocking thread: a pure parser reads the whole input, handing its
//! records over in batches to the async writer, which stores them inside one transaction while
//! the rest is still being read. The input is never held whole in memory.

use bulwark_core::InputProblem;

use super::http::error::{AppError, AppResult};

/// Records per batch.
const BATCH: usize = 500;

/// A reader running on a blocking thread, handing its records over in batches.
pub struct Batches<T, S> {
    recv: tokio::sync::mpsc::Receiver<Vec<T>>,
    reader: tokio::task::JoinHandle<Result<S, Vec<InputProblem>>>,
}

impl<T: Send + 'static, S: Send + 'static> Batches<T, S> {
    /// Starts `read`, which hands every record to its sink and returns its summary or problems.
    pub fn start(
        read: impl FnOnce(&mut dyn FnMut(T)) -> Result<S, Vec<InputProblem>> + Send + 'static,
    ) -> Self {
        let (send, recv) = tokio::sync::mpsc::channel::<Vec<T>>(4);
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(BATCH);
            // False once the receiver is gone (the import failed): reading goes on only to end.
            let mut open = true;
            let res = read(&mut |r| {
                if !open {
                    return;
                }
                batch.push(r);
                if batch.len() == BATCH {
                    open = send
                        .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_ok();
                }
            });
            if res.is_ok() && open && !batch.is_empty() {
                // The receiver only goes away after a write error, which is reported instead.
                let _ = send.blocking_send(batch);
            }
            res
        });
        Batches { recv, reader }
    }

    /// The next batch; none once the reader has finished (or stopped at a problem).
    pub async fn next(&mut self) -> Option<Vec<T>> {
        self.recv.recv().await
    }

    /// The reader's summary, or every problem it found.
    pub async fn finish(self) -> AppResult<S> {
        drop(self.recv);
        self.reader
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("the file reader failed: {e}")))?
            .map_err(AppError::Rejected)
    }
}
