//! The master side of replication, end to end: replicas attached with SYNC /
//! PSYNC receive a snapshot and then the propagation stream.

mod common;

use std::time::Duration;

use common::tap::StreamTap;
use common::*;

#[test]
fn writes_reach_a_tap_after_a_select() {
    let server = start_server(&[]);
    let mut con = server.connection();
    ok(&mut con, &["SET", "before", "1"]);
    let mut tap = StreamTap::attach(server.port());
    ok(&mut con, &["SET", "after", "2"]);
    let seen = tap.until(Duration::from_secs(10), |argv| argv[0] == "SET");
    assert_eq!(
        seen,
        vec![
            vec!["SELECT".to_string(), "0".into()],
            vec!["SET".into(), "after".into(), "2".into()],
        ]
    );
}
