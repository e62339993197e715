//! Replays every seed of `fuzz/corpus/resp_parse/` through the fuzz target's body,
//! so the parser invariants hold in an ordinary `cargo test` run without libFuzzer.

use std::path::Path;

#[test]
fn every_corpus_file_keeps_the_parser_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/resp_parse");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus directory exists") {
        let path = entry.expect("a readable directory entry").path();
        let data = std::fs::read(&path).expect("a readable corpus file");
        resp::fuzz::check_request_parser(&data);
        replayed += 1;
    }
    assert!(
        replayed >= 12,
        "expected at least a dozen seeds in {}",
        dir.display()
    );
}
