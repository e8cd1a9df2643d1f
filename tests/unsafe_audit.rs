//! The crate denies `unsafe_code`; one module, `src/conntrack/pages.rs`,
//! allows it for one `madvise` call (huge pages for conntrack's large
//! tables, its SAFETY comment says why it is sound). This test keeps it
//! that way: any other `unsafe` in `src/` is a review decision, not a
//! drift.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn unsafe_code_lives_only_in_the_huge_page_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert!(lib.contains("#![deny(unsafe_code)]"));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut allowed = Vec::new();
    let mut blocks = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if text.contains("allow(unsafe_code)") {
            allowed.push(f.strip_prefix(&src).unwrap().to_string_lossy().into_owned());
        }
        if f.ends_with("conntrack/pages.rs") {
            blocks += text.matches("unsafe {").count();
        }
    }
    assert_eq!(allowed, ["conntrack/pages.rs"]);
    assert_eq!(blocks, 1, "one unsafe block: the madvise call");
}
