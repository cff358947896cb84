//! Image decoding, resizing and encoding, a few at a time. One image may take a gigabyte while
//! it is worked on (a 498 KB PNG declaring 8000×8000 pixels, rotated: 1.1 GB of RSS), and eight
//! uploaded at once once took a process to 8 GB. So each process runs at most as many as its
//! memory holds ([`permits_for`]), on the blocking pool; the rest wait their turn.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// What one image may take at its worst, with room to spare: the largest image allowed
/// (64 megapixels, 256 MiB decoded) decoded, rotated and encoded.
pub const MEMORY_PER_IMAGE: u64 = 1_280 * 1024 * 1024;

static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let permits = permits_for(memory_limit(), cores);
    tracing::debug!(permits, "image work: at most this many images at once");
    Semaphore::new(permits)
});

/// How many images may be worked on at once with `memory` bytes (`None`: unknown) and `cores`:
/// what half the memory holds (the process serves requests too), at least one, at most one a
/// core.
pub fn permits_for(memory: Option<u64>, cores: usize) -> usize {
    let by_memory = memory.map_or(1, |bytes| {
        usize::try_from(bytes / 2 / MEMORY_PER_IMAGE).unwrap_or(usize::MAX)
    });
    by_memory.clamp(1, cores.max(1))
}

/// The memory this process may use: its cgroup's limit (a container's, as on ECS), else the
/// machine's.
fn memory_limit() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|limit| limit.trim().parse().ok());
    cgroup.or_else(|| {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let kib: u64 = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    })
}

/// Runs `work` on the blocking pool once a permit is free. `Err` when the task panicked.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let _permit = PERMITS.acquire().await.map_err(|err| err.to_string())?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn permits_follow_memory_and_cores() {
        const GIB: u64 = 1024 * 1024 * 1024;
        // An ECS task of 2 GiB: one image at a time.
        assert_eq!(permits_for(Some(2 * GIB), 2), 1);
        assert_eq!(permits_for(Some(GIB / 2), 4), 1);
        assert_eq!(permits_for(Some(8 * GIB), 2), 2);
        assert_eq!(permits_for(Some(8 * GIB), 8), 3);
        assert_eq!(permits_for(None, 8), 1);
        assert_eq!(permits_for(Some(u64::MAX), 0), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_run_at_once_than_the_permits() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= PERMITS.available_permits().max(1));
        assert!(most.load(Ordering::SeqCst) >= 1);
    }
}
