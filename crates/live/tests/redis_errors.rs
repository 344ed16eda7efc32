//! A Redis error reply is an answer on a good connection: the operation fails as
//! `server_error`, and the connection goes back to the pool instead of being dropped
//! (dropping it would turn every failing command into a reconnect).

mod common;

use std::time::Duration;

use common::connections_received;
use faultline_live::target::redis::{connect, RedisClient};
use faultline_live::testkit::{free_port, require_programs};
use faultline_record::FailureClass;

#[test]
fn an_error_reply_fails_the_operation_but_keeps_the_connection() {
    let Some(bins) = require_programs("redis_errors", &["redis-server"]) else {
        return;
    };
    let port = free_port();
    let _redis = common::start_redis(&bins[0], port, &[]);
    let addr = format!("redis://127.0.0.1:{port}");
    // INCR on a value that is not a number: an `ERR` reply every time.
    let target: faultline_spec::RedisTarget = serde_json::from_value(serde_json::json!({
        "url": addr,
        "write": ["INCR", "{key}"],
        "connections": 1,
    }))
    .expect("redis target");
    let client = RedisClient::new(&target).expect("client");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let before = connections_received(&addr).await;
        let timeout = Duration::from_secs(2);
        let mut con = connect(&addr, timeout).await.expect("setup connection");
        let _: () = redis::cmd("SET")
            .arg("fl:text")
            .arg("not a number")
            .query_async(&mut con)
            .await
            .expect("SET");
        for _ in 0..5 {
            assert_eq!(
                client.write("fl:text", "", timeout, None).await,
                Err(FailureClass::ServerError)
            );
        }
        // The setup connection, one for the client's five commands, and this one.
        let opened = connections_received(&addr).await - before;
        assert_eq!(opened, 3, "connections opened for 5 failing commands");
    });
}
