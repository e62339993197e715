//! Replays every seed of `fuzz/corpus/rdb_load/` through the fuzz target's body,
//! so the RDB loader's invariants hold in an ordinary `cargo test` run without
//! libFuzzer; and checks that the dumps real Redis 7.0.15 wrote load completely.

use std::path::{Path, PathBuf};

use storage::digest::{dataset_digest, to_hex};
use storage::rdb::reader::{load, load_dump_payload, ChecksumCheck, LoadOptions, Record};
use storage::Keyspace;

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/rdb_load");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the fuzz corpus directory exists")
        .map(|e| e.expect("a readable directory entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).expect("a readable corpus file");
            (p, data)
        })
        .collect()
}

fn name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn rdb_corpus_files_keep_the_loader_invariants() {
    let files = corpus();
    for (_, data) in &files {
        storage::rdb::reader::fuzz::check_load(data);
    }
    assert!(files.len() >= 12, "expected at least a dozen seeds");
}

#[test]
fn rdb_files_of_redis_7_0_load_completely() {
    let mut seen = 0;
    for (path, data) in corpus() {
        let n = name(&path);
        if !n.starts_with("redis-7.0.15-") {
            continue;
        }
        seen += 1;
        let (mut keys, mut dbs, mut functions) = (0, Vec::new(), 0);
        let summary = load(&data, &LoadOptions::default(), &mut |r| {
            match r {
                Record::Key(_) => keys += 1,
                Record::SelectDb(db) => dbs.push(db),
                Record::Function(_) => functions += 1,
                _ => {}
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(summary.version, 10, "{n}");
        assert_eq!(summary.consumed, data.len(), "{n}");
        let check = if n.contains("nocompress") {
            ChecksumCheck::Disabled
        } else {
            ChecksumCheck::Verified
        };
        assert_eq!(summary.checksum, check, "{n}");
        assert_eq!(dbs, [0, 1, 5], "{n}");
        assert_eq!(keys, 25, "{n}");
        assert_eq!(functions, usize::from(n.contains("function")), "{n}");
    }
    assert_eq!(seen, 5);
}

#[test]
fn rdb_dump_payloads_of_redis_7_0_restore() {
    let mut seen = 0;
    for (path, data) in corpus() {
        let n = name(&path);
        if n.starts_with("dump-") {
            let value = load_dump_payload(&data, &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(!value.is_empty_collection(), "{n}");
            seen += 1;
        }
    }
    // Every payload in the corpus was tried (an empty loop would pass).
    assert_eq!(seen, 12);
}

/// DEBUG DIGEST that redis-server 7.0.15 reports after loading each file
/// (`redis-server --dbfilename <file> --enable-debug-command yes`).
const REDIS_DIGESTS: [(&str, &str); 10] = [
    (
        "edge-checksum-off.rdb",
        "264ccf65edec66bccfa7cc659414ccca432057d2",
    ),
    (
        "edge-empty-keys.rdb",
        "8d1f5fbcb1210891298fc45b053c2ee1d0e020de",
    ),
    (
        "legacy-v3-expiretime.rdb",
        "bf83f210388eea94f06fb90d517490e16a08d7dd",
    ),
    (
        "legacy-v6-ziplists.rdb",
        "868194e0ef94b0b71671ccfe26899aa947452094",
    ),
    (
        "legacy-v7-quicklist.rdb",
        "0b6addf39d976a9d5bcc24711b3dd6ed17f02292",
    ),
    (
        "redis-7.0.15-all.rdb",
        "8f5246def07b843bc1deac8f94f03bb0a628126e",
    ),
    (
        "redis-7.0.15-function.rdb",
        "6e823ec00d1c5c1c26f1530e309d7e99eab8fb30",
    ),
    (
        "redis-7.0.15-lfu.rdb",
        "f65a7e4f1d3d1fa776bb7bec436ddf7aa0db6531",
    ),
    (
        "redis-7.0.15-lru.rdb",
        "1e9b559bed3bd1cbecb4eda6b6b6b72e933448be",
    ),
    (
        "redis-7.0.15-nocompress.rdb",
        "2fbd901910216ba4e5afb924ebbf5457a053b4c4",
    ),
];

#[test]
fn rdb_files_load_to_the_digest_redis_reports() {
    let files = corpus();
    for (file, want) in REDIS_DIGESTS {
        let (_, data) = files
            .iter()
            .find(|(p, _)| name(p) == file)
            .unwrap_or_else(|| panic!("{file} is in the corpus"));
        let mut keyspace = Keyspace::new(16);
        load(data, &LoadOptions::default(), &mut |r| {
            if let Record::Key(k) = r {
                let db = keyspace.db_mut(k.db);
                db.set(&k.key, k.value, 0, false);
                if let Some(at) = k.expire_ms {
                    db.set_expire(&k.key, at);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(to_hex(&dataset_digest(&keyspace)), want, "{file}");
    }
}

/// OBJECT ENCODING of every key after redis-server 7.0.15 (default config)
/// loads `redis-7.0.15-all.rdb`.
const REDIS_ENCODINGS: [(usize, &str, &str); 25] = [
    (0, "h:large", "listpack"),
    (0, "h:long", "hashtable"),
    (0, "h:small", "listpack"),
    (0, "l:bigelem", "quicklist"),
    (0, "l:large", "quicklist"),
    (0, "l:small", "quicklist"),
    (0, "s:embstr", "embstr"),
    (0, "s:empty", "embstr"),
    (0, "s:int", "int"),
    (0, "s:lzf", "raw"),
    (0, "s:max", "int"),
    (0, "s:neg", "int"),
    (0, "s:raw", "raw"),
    (0, "s:ttl", "embstr"),
    (0, "set:big", "hashtable"),
    (0, "set:intset", "intset"),
    (0, "set:intsetbig", "hashtable"),
    (0, "set:small", "hashtable"),
    (0, "z:large", "skiplist"),
    (0, "z:long", "skiplist"),
    (0, "z:small", "listpack"),
    (1, "ol", "quicklist"),
    (1, "other", "int"),
    (5, "h5", "listpack"),
    (5, "s5", "hashtable"),
];

#[test]
fn rdb_files_load_to_the_encodings_redis_reports() {
    let (_, data) = corpus()
        .into_iter()
        .find(|(p, _)| name(p) == "redis-7.0.15-all.rdb")
        .expect("the dump is in the corpus");
    let mut got = Vec::new();
    load(&data, &LoadOptions::default(), &mut |r| {
        if let Record::Key(k) = r {
            let key = String::from_utf8_lossy(&k.key).into_owned();
            got.push((k.db, key, k.value.encoding()));
        }
        Ok(())
    })
    .expect("loads");
    got.sort();
    let want: Vec<_> = REDIS_ENCODINGS
        .iter()
        .map(|(db, k, e)| (*db, k.to_string(), *e))
        .collect();
    assert_eq!(got, want);
}
