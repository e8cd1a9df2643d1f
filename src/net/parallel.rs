//! Independent simulations in parallel, one per seed.
//!
//! Each simulation owns its [`Network`](super::Network) (hosts share
//! nothing but links), so simulations run on separate threads with no
//! locking; a ruleset compiled once ([`crate::host::CompiledRules`]) is
//! shared by every host of every simulation through an `Arc`.
//!
//! # More than one machine
//!
//! A run is a pure function of its seed and inputs, so sharding needs no
//! scheduler of its own: give each job of an existing batch engine a range
//! of seeds and let it call [`run_seeds`] on that range, writing one result
//! file per range. With GNU parallel: `seq 0 1000 99000 | parallel -S
//! host1,host2 'mysim --seeds {}..$(({}+1000)) > out-{}.json'`; with
//! Kubernetes, an Indexed Job whose pods read `JOB_COMPLETION_INDEX` and
//! run seeds `index*1000 .. (index+1)*1000`; with Slurm, a job array
//! (`--array=0-99`, `SLURM_ARRAY_TASK_ID`). Results are merged afterwards
//! by seed; a failed job is re-run on its range and gives the same
//! answer.

/// Runs `sim(seed)` for every seed of `seeds` on up to `threads` threads
/// (at least one) and returns the results in seed order. Deterministic:
/// the results do not depend on `threads`.
///
/// ```
/// let squares = nfsim::net::run_seeds(0..8, 2, |s| s * s);
/// assert_eq!(squares, vec![0, 1, 4, 9, 16, 25, 36, 49]);
/// ```
pub fn run_seeds<T, F>(seeds: std::ops::Range<u64>, threads: usize, sim: F) -> Vec<T>
where
    T: Send,
    F: Fn(u64) -> T + Sync,
{
    let seeds: Vec<u64> = seeds.collect();
    let threads = threads.clamp(1, seeds.len().max(1));
    let chunk = seeds.len().div_ceil(threads).max(1);
    let sim = &sim;
    std::thread::scope(|s| {
        let handles: Vec<_> = seeds
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|&seed| sim(seed)).collect::<Vec<T>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e),
            })
            .collect()
    })
}
