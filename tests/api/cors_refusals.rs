//! HTTP-level refusals (docs/protocol.md §1.3) readable by H5 pages: 400, 408,
//! 413 and 415 carry the CORS headers when some enabled appid allows the
//! page's origin, as the preflight decides (§12.5), and none otherwise.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const EVIL: &str = "https://evil.example.net";

async fn refusal(
    app: &TestApp,
    origin: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.http
        .post(&app.url)
        .header("origin", origin)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("gateway answers")
}

fn allow_origin(r: &reqwest::Response) -> Option<&str> {
    r.headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_413_and_a_415_carry_cors_headers_for_an_allowed_origin_only() {
    let app = spawn_app_with(Options::configure(|s| s.server.body_limit_bytes = 1024)).await;
    let big = vec![b'a'; 4096];
    let cases: [(&str, &str, Vec<u8>, u16); 2] = [
        ("application/json", "too large", big, 413),
        ("text/plain", "unsupported type", b"data=x".to_vec(), 415),
    ];
    for (content_type, case, body, status) in cases {
        let r = refusal(&app, H5_ORIGIN, content_type, body.clone()).await;
        assert_eq!(r.status(), status, "{case}");
        assert_eq!(allow_origin(&r), Some(H5_ORIGIN), "{case}");
        assert_eq!(
            r.headers()["access-control-expose-headers"],
            "X-Request-Id, X-Yafgate-Sign, X-Yafgate-Sign-Slot"
        );
        assert_eq!(r.headers()["vary"], "Origin", "{case}");

        let r = refusal(&app, EVIL, content_type, body).await;
        assert_eq!(r.status(), status, "{case}");
        assert_eq!(allow_origin(&r), None, "{case}: an origin no appid lists");
    }
    // A disabled appid's origins do not count.
    let text = default_apps().replace(
        "[apps.h5_app_id]\nname = \"H5\"",
        "[apps.h5_app_id]\nname = \"H5\"\nenabled = false",
    );
    let app = spawn_app_with(Options {
        apps: text,
        ..Options::default()
    })
    .await;
    let r = refusal(&app, H5_ORIGIN, "text/plain", b"x".to_vec()).await;
    assert_eq!(r.status(), 415);
    assert_eq!(allow_origin(&r), None);
}

/// Send `request` on a fresh connection; the whole answer as text.
async fn raw(app: &TestApp, request: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut resp))
        .await
        .expect("answered and closed within the deadline")
        .unwrap();
    String::from_utf8_lossy(&resp).into_owned()
}

#[tokio::test]
async fn a_400_for_a_broken_chunked_body_carries_cors_headers_for_an_allowed_origin() {
    let app = spawn_app().await;
    for (origin, allowed) in [(H5_ORIGIN, true), (EVIL, false)] {
        let resp = raw(
            &app,
            &format!(
                "POST / HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Transfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n"
            ),
        )
        .await;
        assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
        let header = format!("access-control-allow-origin: {origin}");
        assert_eq!(
            resp.to_ascii_lowercase().contains(&header),
            allowed,
            "{resp}"
        );
    }
}

#[tokio::test]
async fn a_408_carries_cors_headers_for_an_allowed_origin() {
    let app = spawn_app_with(Options::configure(|s| {
        config::set_read_deadlines(s, Duration::from_millis(300));
    }))
    .await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nOrigin: {H5_ORIGIN}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ndata="
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut resp = String::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut resp))
        .await
        .expect("answered within the deadline")
        .unwrap();
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    let lower = resp.to_ascii_lowercase();
    assert!(
        lower.contains(&format!("access-control-allow-origin: {H5_ORIGIN}")),
        "{resp}"
    );
}
