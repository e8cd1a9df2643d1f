//! Huge pages for conntrack's large tables: the one module of the crate
//! allowed `unsafe` (one `madvise` call).
//!
//! An established packet reads a random slot of the lookup index
//! (`FastIndex`, 8 bytes a slot, 32 MiB at 1M entries) and a random entry of
//! the slab (128 bytes an entry, 128 MiB at 1M): with 4 KiB pages each is a
//! TLB miss (a page walk) on top of the cache miss, the main cost left at a
//! million flows (`conntrack/established_lookup_1M`: 58 ns a packet with
//! 4 KiB pages, 37 ns with 2 MiB pages, the same instructions). So the
//! tables grow into fresh allocations advised `MADV_HUGEPAGE` before they
//! are touched, the kernel then backs them with transparent huge pages
//! where it can (`/sys/kernel/mm/transparent_hugepage/enabled` set to
//! `always` or `madvise`, the default of most distributions).
//!
//! The advice is a hint on the mapping: it changes no byte, no result and
//! no error of the table; the kernel may ignore it (THP `never`, or
//! `prctl(PR_SET_THP_DISABLE)` in the embedding process, which is how an
//! embedder turns it off). It applies only to allocations of at least
//! [`MIN_BYTES`], so small tables (every example, every test host) are
//! allocated exactly as before; and only to the whole 2 MiB pages inside
//! the allocation, so it never touches memory the table does not own.
//!
//! A clone of a table (`ConntrackTable::clone`, a snapshot) is allocated
//! plainly, at the size it has; it is advised again only if it grows.
//!
//! Under Miri (which cannot run the system call) and on other systems the
//! advice is left out; everything else, the fresh allocation and the move
//! of the items, is the same code.
#![allow(unsafe_code)]

use std::collections::TryReserveError;

/// Size of a transparent huge page on x86-64 and arm64 with 4 KiB base
/// pages (`/sys/kernel/mm/transparent_hugepage/hpage_pmd_size`).
pub(super) const HUGE: usize = 2 << 20;

/// Allocations smaller than this (two huge pages) are not advised: their
/// whole huge pages would be at most one, not worth a mapping split.
pub(super) const MIN_BYTES: usize = 2 * HUGE;

/// Grows `v` to a capacity of at least `cap` items: in place (the
/// allocator's `realloc`) below [`MIN_BYTES`], else into a fresh
/// allocation advised for huge pages before the items move in (a
/// `realloc` would keep the moved items on the 4 KiB pages they were
/// touched on). `Err` when the allocator refuses; `v` is then unchanged.
pub(super) fn grow<T>(v: &mut Vec<T>, cap: usize) -> Result<(), TryReserveError> {
    if cap <= v.capacity() {
        return Ok(());
    }
    if cap.saturating_mul(core::mem::size_of::<T>()) < MIN_BYTES {
        return v.try_reserve_exact(cap - v.len());
    }
    let mut new = Vec::new();
    new.try_reserve_exact(cap)?;
    advise(&new);
    new.append(v);
    *v = new;
    Ok(())
}

/// A vector with capacity for at least `cap` items, advised for huge
/// pages when it is large (as [`grow`]).
pub(super) fn with_capacity<T>(cap: usize) -> Result<Vec<T>, TryReserveError> {
    let mut v = Vec::new();
    grow(&mut v, cap)?;
    Ok(v)
}

/// The whole huge pages inside `v`'s allocation, as `(start, len)`
/// addresses: empty when it holds none.
fn huge_span<T>(v: &Vec<T>) -> (usize, usize) {
    let start = v.as_ptr() as usize;
    let end = start.saturating_add(v.capacity().saturating_mul(core::mem::size_of::<T>()));
    let first = start.div_ceil(HUGE).saturating_mul(HUGE);
    let last = end / HUGE * HUGE;
    (first, last.saturating_sub(first))
}

/// Advises the whole huge pages of `v`'s allocation `MADV_HUGEPAGE`.
#[cfg(all(target_os = "linux", not(miri)))]
fn advise<T>(v: &Vec<T>) {
    let (start, len) = huge_span(v);
    if len == 0 {
        return;
    }
    // SAFETY: `[start, start + len)` lies inside the allocation `v` owns
    // (`huge_span` rounds its bounds inward), and `MADV_HUGEPAGE` neither
    // reads nor writes that memory nor changes its contents or validity:
    // it only marks the mapping as eligible for transparent huge pages
    // (mm/madvise.c, `madvise_vma_behavior` -> `hugepage_madvise`), which
    // the kernel backs on the next fault or by khugepaged, preserving the
    // contents. No Rust reference is created from the address. A failure
    // (EINVAL where THP is not built in, ENOMEM, EAGAIN) leaves the mapping
    // as it was, so the result is ignored.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

/// Elsewhere (and under Miri) there is nothing to advise.
#[cfg(not(all(target_os = "linux", not(miri))))]
fn advise<T>(v: &Vec<T>) {
    let _ = huge_span(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_vectors_grow_in_place_as_before() {
        let mut v: Vec<u64> = vec![1, 2, 3];
        grow(&mut v, 100).unwrap();
        assert!(v.capacity() >= 100);
        assert_eq!(v, [1, 2, 3]);
    }

    #[test]
    fn large_vectors_keep_their_items_in_a_fresh_allocation() {
        let mut v: Vec<u64> = (0..1000).collect();
        let n = MIN_BYTES / 8 + 1;
        grow(&mut v, n).unwrap();
        assert!(v.capacity() >= n);
        assert!(v.iter().copied().eq(0..1000));
        let w: Vec<u32> = with_capacity(MIN_BYTES).unwrap();
        assert!(w.is_empty() && w.capacity() >= MIN_BYTES);
    }

    #[test]
    fn a_refused_growth_leaves_the_vector_as_it_was() {
        let mut v: Vec<u64> = vec![7; 10];
        assert!(grow(&mut v, usize::MAX / 4).is_err());
        assert_eq!(v, [7; 10]);
    }

    #[test]
    fn the_span_is_the_whole_huge_pages_inside() {
        let v: Vec<u8> = Vec::with_capacity(3 * HUGE);
        let (s, l) = huge_span(&v);
        let p = v.as_ptr() as usize;
        assert_eq!(s % HUGE, 0);
        assert_eq!(l % HUGE, 0);
        assert!(s >= p && s + l <= p + v.capacity());
        assert!(
            l >= HUGE,
            "three huge pages' worth holds at least one whole one"
        );
        let small: Vec<u8> = Vec::with_capacity(100);
        assert_eq!(huge_span(&small).1, 0);
    }

    /// Says a check was skipped, past the test harness's capture (as the
    /// integration tests' `skip_note!`), so plain `cargo test` shows it.
    #[cfg(all(target_os = "linux", not(miri)))]
    fn skip(why: &str) {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "SKIPPED huge-page check: {why}");
    }

    /// On this machine kind (THP `madvise` or `always`) a large table is
    /// backed by huge pages once touched; elsewhere the test says so and
    /// checks only that the advice changed nothing.
    #[cfg(all(target_os = "linux", not(miri)))]
    #[test]
    fn advised_memory_is_backed_by_huge_pages_where_the_system_allows() {
        let mut v: Vec<u64> = with_capacity(4 * HUGE / 8).unwrap();
        v.resize(4 * HUGE / 8, 5);
        assert!(v.iter().all(|&x| x == 5));
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if !(mode.contains("[madvise]") || mode.contains("[always]")) {
            skip(&format!("THP mode here is {mode:?}"));
            return;
        }
        let (s, l) = huge_span(&v);
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        // The mapping holding the advised span, and its AnonHugePages.
        let mut inside = false;
        let mut huge_kb = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((a, b)) = range.split_once('-') {
                    if let (Ok(a), Ok(b)) =
                        (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                    {
                        inside = a <= s && s + l <= b;
                        continue;
                    }
                }
            }
            if inside {
                if let Some(kb) = line.strip_prefix("AnonHugePages:") {
                    huge_kb = kb
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<usize>()
                        .ok();
                }
            }
        }
        let huge_kb = huge_kb.expect("the advised mapping is in /proc/self/smaps");
        if huge_kb == 0 {
            // The kernel may fall back to small pages (fragmented memory,
            // a cgroup limit); say so rather than fail.
            skip("the kernel backed the advised span with 4 KiB pages");
        } else {
            assert!(huge_kb * 1024 >= HUGE);
        }
    }
}
