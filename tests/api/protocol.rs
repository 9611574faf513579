//! The signed endpoint: body forms, signature, fixed parameters, codes and
//! their order, registry dispatch, CORS, client IP, transport limits.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yafgate::handler::Ctx;
use yafgate::handler::{Method, Registry};
use yafgate::protocol::Reply;
use yafgate::protocol::error::{ApiError, ApiResult};
use yafgate::protocol::sign::sign;

use crate::helpers::*;

const GOLDEN_DATA: &str = r#"{"method":"user.login","v":"1.0.0","appid":"ios_app_id","timestamp":"1493898621","unique_id":"68f66b5b72b864dd389748bffe112f4f","username":"18575202691","password":"123456"}"#;
const GOLDEN_SIGN: &str = "01E62683A5D2B7CD901F5F98C08F10EF";

#[derive(Deserialize, JsonSchema)]
struct NoParams {}

#[derive(Deserialize, JsonSchema)]
struct EchoParams {
    word: yafgate::protocol::types::Text,
}

async fn echo_v1(_: Ctx, p: EchoParams) -> ApiResult<Reply> {
    Reply::data("v1", &json!({"handler": "1.0.0", "word": p.word}))
}

async fn echo_v12(_: Ctx, p: EchoParams) -> ApiResult<Reply> {
    Reply::data("v1.2", &json!({"handler": "1.2.0", "word": p.word}))
}

async fn files(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    let list: Vec<Value> = ctx
        .files
        .iter()
        .map(|f| json!({"field": f.field, "name": f.file_name, "size": f.content.len()}))
        .collect();
    Reply::data("success", &json!({ "files": list }))
}

async fn fails(_: Ctx, _: NoParams) -> ApiResult<Reply> {
    Err(ApiError::Internal(anyhow::anyhow!(
        "db at 10.9.8.7 said: password authentication failed"
    )))
}

async fn panics(_: Ctx, _: NoParams) -> ApiResult<Reply> {
    panic!("a bug in a handler")
}

async fn slow(_: Ctx, _: NoParams) -> ApiResult<Reply> {
    tokio::time::sleep(Duration::from_secs(30)).await;
    Ok(Reply::empty("late"))
}

fn test_methods(r: &mut Registry) {
    r.add(Method::new("test.echo", "1.0.0"), echo_v1);
    r.add(Method::new("test.echo", "1.2.0"), echo_v12);
    r.add(Method::new("test.files", "1.0.0"), files);
    r.add(Method::new("test.fail", "1.0.0"), fails);
    r.add(Method::new("test.panic", "1.0.0"), panics);
    r.add(Method::new("test.slow", "1.0.0"), slow);
}

async fn app_with_test_methods() -> TestApp {
    spawn_app_with(Options {
        extend: Some(Box::new(test_methods)),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn ping_answers_server_time() {
    let app = spawn_app().await;
    let env = app.call("system.ping", json!({})).await;
    assert_code(&env, 200);
    let t = env["data"]["server_time"].as_i64().unwrap();
    assert!((t - app.state.clock.now()).abs() <= 2);
    assert_eq!(
        env.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["code", "msg", "data"]
    );
}

#[tokio::test]
async fn the_seed_golden_vector_verifies() {
    let app = spawn_app().await;
    app.state
        .clock
        .advance(1_493_898_621 - app.state.clock.now());

    // The seed's vector verifies (no 403) inside the timestamp window (no
    // 507) and user.login is found (no 509); the seed's data predates the
    // fixed parameters that user.login needs, so the first of them that is
    // missing is named.
    let past_signature = json!({"code": 503, "msg": "缺少参数 app_v"});
    let env = envelope(
        app.post_form(&[("data", GOLDEN_DATA), ("sign", GOLDEN_SIGN)])
            .await,
    )
    .await;
    assert_eq!(env, past_signature);

    let lower = GOLDEN_SIGN.to_lowercase();
    let env = envelope(
        app.post_form(&[("data", GOLDEN_DATA), ("sign", &lower)])
            .await,
    )
    .await;
    assert_eq!(env, past_signature, "a lower-case signature verifies too");

    let wrong = GOLDEN_SIGN.replace("01E6", "01E7");
    let env = envelope(
        app.post_form(&[("data", GOLDEN_DATA), ("sign", &wrong)])
            .await,
    )
    .await;
    assert_code(&env, 403);
}

/// What a table row does: description, appid, secret, change, code, message part.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Box<dyn Fn(&mut Map<String, Value>)>,
    i64,
    &'static str,
);

#[tokio::test]
async fn every_check_answers_with_its_code_and_message() {
    let app = spawn_app().await;
    let now = app.state.clock.now();
    let cases: Vec<Case> = vec![
        (
            "method missing",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.remove("method");
            }),
            504,
            "缺少参数 method",
        ),
        (
            "method empty",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("method".into(), json!(""));
            }),
            504,
            "缺少参数 method",
        ),
        (
            "method not a string",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("method".into(), json!(5));
            }),
            504,
            "缺少参数 method",
        ),
        (
            "v missing",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.remove("v");
            }),
            505,
            "缺少参数 v",
        ),
        (
            "v malformed",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("v".into(), json!("one"));
            }),
            505,
            "参数 v 格式不正确",
        ),
        (
            "appid missing",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.remove("appid");
            }),
            506,
            "缺少参数 appid",
        ),
        (
            "appid unknown",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("appid".into(), json!("nobody"));
            }),
            506,
            "appid 无效或已停用",
        ),
        (
            "appid disabled",
            "disabled_app_id",
            IOS_SECRET,
            Box::new(|_| {}),
            506,
            "appid 无效或已停用",
        ),
        (
            "timestamp missing",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.remove("timestamp");
            }),
            507,
            "缺少参数 timestamp",
        ),
        (
            "timestamp empty",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("timestamp".into(), json!(""));
            }),
            507,
            "缺少参数 timestamp",
        ),
        (
            "timestamp nine digits",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("timestamp".into(), json!("149389862"));
            }),
            507,
            "参数 timestamp 格式不正确",
        ),
        (
            "timestamp in ms",
            "ios_app_id",
            IOS_SECRET,
            Box::new(move |d| {
                d.insert("timestamp".into(), json!(now * 1000));
            }),
            507,
            "参数 timestamp 格式不正确",
        ),
        (
            "timestamp too old",
            "ios_app_id",
            IOS_SECRET,
            Box::new(move |d| {
                d.insert("timestamp".into(), json!((now - 660).to_string()));
            }),
            507,
            "请求已过期（设备时间慢于服务器时间）",
        ),
        (
            "timestamp too new",
            "ios_app_id",
            IOS_SECRET,
            Box::new(move |d| {
                d.insert("timestamp".into(), json!(now + 660));
            }),
            507,
            "请求时间超前（设备时间快于服务器时间）",
        ),
        (
            "ip not allowed",
            "admin_app_id",
            ADMIN_SECRET,
            Box::new(|_| {}),
            508,
            "IP",
        ),
        (
            "signed with another appid's secret",
            "ios_app_id",
            ANDROID_SECRET,
            Box::new(|_| {}),
            403,
            "签名错误",
        ),
        (
            "no such method",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("method".into(), json!("system.nope"));
            }),
            509,
            "接口不存在",
        ),
        (
            "version older than every handler",
            "ios_app_id",
            IOS_SECRET,
            Box::new(|d| {
                d.insert("v".into(), json!("0.9.9"));
            }),
            509,
            "接口不存在",
        ),
    ];
    for (what, appid, secret, mutate, code, msg) in cases {
        let mut data = app.fixed("system.ping", appid);
        mutate(&mut data);
        let env = app
            .send_data(&Value::Object(data).to_string(), secret)
            .await;
        assert_eq!(env["code"], code, "{what}: {env}");
        assert!(env["msg"].as_str().unwrap().contains(msg), "{what}: {env}");
        assert!(
            env.get("data").is_none(),
            "{what}: errors carry no data: {env}"
        );
    }
}

#[tokio::test]
async fn an_appid_calling_a_method_outside_its_patterns_gets_403() {
    let app = app_with_test_methods().await;
    let env = app
        .call_as(
            "limited_app_id",
            LIMITED_SECRET,
            "test.echo",
            json!({"word": "x"}),
        )
        .await;
    assert_code(&env, 403);
    assert_eq!(env["msg"], "您没有权限访问该接口");
    let env = app
        .call_as("limited_app_id", LIMITED_SECRET, "system.ping", json!({}))
        .await;
    assert_code(&env, 200);
}

#[tokio::test]
async fn signature_failures_look_the_same_whatever_was_wrong() {
    let app = spawn_app().await;
    let data = Value::Object(app.fixed("system.ping", "ios_app_id")).to_string();
    let good = sign(data.as_bytes(), IOS_SECRET);
    let other = data.replace("test-device-1", "test-device-2");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("data", &data)],
        vec![("data", &data), ("sign", "")],
        vec![("data", &data), ("sign", "not-hex-at-all")],
        vec![("data", &data), ("sign", &good[..31])],
        vec![("data", &other), ("sign", &good)],
    ];
    for fields in cases {
        let mut env = envelope(app.post_form(&fields).await).await;
        // In test (and dev) a refused signature also explains itself
        // (docs/protocol.md §2.1); tests/api/diagnostics.rs shows that
        // answer is bare in pre, beta and pro.
        let debug = env.as_object_mut().unwrap().remove("debug");
        assert!(
            debug.is_some_and(|d| d["appid"] == "ios_app_id"),
            "{fields:?}"
        );
        assert_eq!(env, json!({"code": 403, "msg": "签名错误"}), "{fields:?}");
    }
}

#[tokio::test]
async fn data_that_is_not_a_json_object_is_504() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    for data in [
        "",
        "[]",
        "\"text\"",
        "not json",
        "{",
        "{\"method\":\"system.ping\"",
        &deep,
        "\u{0}",
    ] {
        let env = envelope(app.post_form(&[("data", data), ("sign", "x")]).await).await;
        assert_code(&env, 504);
    }
    let env = envelope(app.post_form(&[("sign", "x")]).await).await;
    assert_code(&env, 504);
    let env = envelope(
        app.post("application/json", b"{\"data\": 5}".to_vec())
            .await,
    )
    .await;
    assert_code(&env, 504);
}

#[tokio::test]
async fn numbers_and_strings_are_both_accepted_in_data() {
    let app = app_with_test_methods().await;
    let now = app.state.clock.now();
    for (ts, platform, word) in [
        (json!(now), json!(1), json!("word")),
        (json!(now.to_string()), json!("2"), json!(12345)),
    ] {
        let env = app
            .call(
                "test.echo",
                json!({"timestamp": ts, "platform": platform, "word": word}),
            )
            .await;
        assert_code(&env, 200);
        let expected = word
            .as_str()
            .map_or_else(|| word.to_string(), str::to_string);
        assert_eq!(env["data"]["word"], expected);
    }
}

#[tokio::test]
async fn missing_fixed_parameters_are_named_and_ping_skips_them() {
    let app = app_with_test_methods().await;
    for key in ["unique_id", "app_v", "platform", "channel", "device_token"] {
        let mut data = app.fixed("test.echo", "ios_app_id");
        data.insert("word".into(), json!("x"));
        data.remove(key);
        let env = app
            .send_data(&Value::Object(data).to_string(), IOS_SECRET)
            .await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], format!("缺少参数 {key}"));
    }
    for bad in [json!(0), json!(5), json!("ios"), json!("")] {
        let env = app
            .call("test.echo", json!({"platform": bad, "word": "x"}))
            .await;
        assert_code(&env, 503);
        assert!(env["msg"].as_str().unwrap().contains("platform"), "{env}");
    }
    let mut data = app.fixed("system.ping", "ios_app_id");
    for key in ["unique_id", "app_v", "platform", "channel", "device_token"] {
        data.remove(key);
    }
    let env = app
        .send_data(&Value::Object(data).to_string(), IOS_SECRET)
        .await;
    assert_code(&env, 200);
}

#[tokio::test]
async fn business_parameters_are_typed_and_named() {
    let app = app_with_test_methods().await;
    let env = app.call("test.echo", json!({})).await;
    assert_code(&env, 503);
    assert_eq!(env["msg"], "缺少参数 word");
    let env = app.call("test.echo", json!({"word": {"nested": 1}})).await;
    assert_code(&env, 503);
    assert_eq!(env["msg"], "参数 word 格式不正确");
    let env = app
        .call("test.echo", json!({"word": "ok", "unknown_extra": [1, 2]}))
        .await;
    assert_code(&env, 200);
    // The handler read its own parameter from the data; the unknown one
    // was left out, not refused.
    assert_eq!(env["data"], json!({"handler": "1.0.0", "word": "ok"}));
}

#[tokio::test]
async fn json_bodies_work_like_forms() {
    let app = app_with_test_methods().await;
    let data = app.data("test.echo", "ios_app_id", json!({"word": "中文 + /"}));
    let (_, body) = wire::signed_body(data.as_bytes(), IOS_SECRET, wire::Encoding::Json);
    let env = envelope(app.post("application/json; charset=utf-8", body).await).await;
    assert_code(&env, 200);
    // The signed data was read from the JSON body, its parameters included.
    assert_eq!(env["data"], json!({"handler": "1.0.0", "word": "中文 + /"}));
    // A JSON body whose sign does not match is refused like a form's.
    let (_, body) = wire::signed_body(
        data.as_bytes(),
        "another-secret-0123456",
        wire::Encoding::Json,
    );
    let env = envelope(app.post("application/json; charset=utf-8", body).await).await;
    assert_code(&env, 403);
}

#[tokio::test]
async fn multipart_file_parts_are_not_signed() {
    let app = app_with_test_methods().await;
    let data = app.data("test.files", "ios_app_id", json!({}));
    for image in [
        &b"first image bytes"[..],
        b"a different image, same signature",
    ] {
        let body = wire::signed_multipart(
            data.as_bytes(),
            IOS_SECRET,
            &[wire::Part::file("image", "a.png", image)],
        );
        let env = envelope(app.post(&wire::multipart_type(), body).await).await;
        assert_code(&env, 200);
        assert_eq!(
            env["data"]["files"],
            json!([{"field": "image", "name": "a.png", "size": image.len()}])
        );
    }
    let truncated = wire::multipart(&[wire::Part::field("data", data.as_bytes())]);
    let env = envelope(
        app.post(
            &wire::multipart_type(),
            truncated[..truncated.len() - 10].to_vec(),
        )
        .await,
    )
    .await;
    assert_code(&env, 504);
}

#[tokio::test]
async fn wrong_http_methods_get_405_with_allow_post() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/"),
        ("PUT", "/api"),
        ("DELETE", "/"),
        ("OPTIONS", "/"),
    ] {
        let r = app
            .http
            .request(
                method.parse().unwrap(),
                format!("http://127.0.0.1:{}{path}", app.port),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        assert_eq!(r.headers()["allow"], "POST");
    }
    assert_eq!(app.get("/nowhere").await.status(), 404);
}

#[tokio::test]
async fn unsupported_content_types_get_415() {
    let app = spawn_app().await;
    for ct in ["text/plain", "application/xml", "multipart/form-data"] {
        let r = app.post(ct, b"data=x".to_vec()).await;
        assert_eq!(r.status(), 415, "{ct}");
    }
    let r = app.http.post(&app.url).body("data=x").send().await.unwrap();
    assert_eq!(r.status(), 415, "no content type");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_declared_or_streamed() {
    let app = spawn_app().await;
    let big = vec![b'a'; 1024 * 1024 + 1];
    let r = app.post("application/x-www-form-urlencoded", big).await;
    assert_eq!(r.status(), 413);

    // Chunked, no Content-Length: refused once the limit is crossed.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n").await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut status = String::new();
    for _ in 0..32 {
        let head = format!("{:x}\r\n", chunk.len());
        if s.write_all(head.as_bytes()).await.is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let mut buf = vec![0u8; 4096];
    if let Ok(n) = s.read(&mut buf).await {
        status = String::from_utf8_lossy(&buf[..n]).to_string();
    }
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
}

/// A client that writes its whole over-limit body before reading, as
/// fetch does, gets to read the 413: the gateway reads the refused body on
/// (and throws it away) before it answers and closes, instead of closing on
/// unread bytes, which resets the connection under the client.
#[tokio::test]
async fn a_client_that_sends_its_whole_refused_body_reads_the_413() {
    let app = spawn_app().await;
    for declared in [true, false] {
        let body = vec![b'a'; 7 * 1024 * 1024];
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .unwrap();
        let head = if declared {
            format!(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
        } else {
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
        };
        s.write_all(head.as_bytes()).await.unwrap();
        if declared {
            s.write_all(&body).await.expect("the whole body is taken");
        } else {
            for chunk in body.chunks(64 * 1024) {
                let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
                s.write_all(&framed).await.expect("the whole body is taken");
            }
            s.write_all(b"0\r\n\r\n").await.unwrap();
        }
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)
            .await
            .expect("the answer is read, not reset");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "declared {declared}: {answer}"
        );
    }
}

/// A body that comes in several chunks is read whole: the gateway keeps a
/// one-chunk body as it came and joins the chunks of any other.
#[tokio::test]
async fn a_signed_body_in_several_chunks_is_served() {
    let app = spawn_app().await;
    let data = app.data("system.ping", "ios_app_id", json!({}));
    let signature = sign(data.as_bytes(), IOS_SECRET);
    let body = crate::helpers::wire::form_body(&[
        ("data", data.as_bytes()),
        ("sign", signature.as_bytes()),
    ]);
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n").await.unwrap();
    for chunk in body.chunks(body.len() / 3 + 1) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        s.write_all(&framed).await.unwrap();
    }
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#"{"code":200,"msg":"success","data":{"server_time":"#),
        "{answer}"
    );
}

#[tokio::test]
async fn a_stalled_body_gets_408_and_stalled_headers_are_cut_off() {
    let app = spawn_app_with(Options::configure(|s| {
        config::set_read_deadlines(s, Duration::from_millis(300));
    }))
    .await;

    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ndata=").await.unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");

    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    // The server closes the connection: read returns EOF (or a reset).
    let closed = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "connection still open after the header deadline"
    );

    // A well-behaved client on the same gateway is unaffected.
    assert_code(&app.call("system.ping", json!({})).await, 200);
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(&app.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-padding", "a".repeat(32 * 1024))
        .body("data=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
}

#[tokio::test]
async fn cors_preflight_is_answered_for_listed_origins_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, &app.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(H5_ORIGIN).await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], H5_ORIGIN);
    assert!(
        ok.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );

    let refused = preflight("https://evil.example.net").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn cors_headers_on_answers_follow_the_appid_origins() {
    let app = spawn_app().await;
    let post = |origin: &'static str, appid: &'static str, secret: &'static str| {
        app.signed(appid, secret, "system.ping", json!({}))
            .header("origin", origin)
            .send()
    };
    let r = post(H5_ORIGIN, "h5_app_id", H5_SECRET).await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], H5_ORIGIN);
    let r = post("https://evil.example.net", "h5_app_id", H5_SECRET)
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // The iOS appid lists no origins: a page may not use it.
    let r = post(H5_ORIGIN, "ios_app_id", IOS_SECRET).await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn v_selects_the_newest_handler_not_newer_than_it() {
    let app = app_with_test_methods().await;
    for (v, handler) in [
        ("1.0.0", "1.0.0"),
        ("1.1.9", "1.0.0"),
        ("1.2.0", "1.2.0"),
        ("1.10.0", "1.2.0"),
        ("2", "1.2.0"),
    ] {
        let env = app.call("test.echo", json!({"v": v, "word": "w"})).await;
        assert_code(&env, 200);
        assert_eq!(env["data"]["handler"], handler, "v {v}");
    }
    let env = app
        .call("test.echo", json!({"v": "0.9", "word": "w"}))
        .await;
    assert_code(&env, 509);
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let r = app.post_form(&[("data", "{}")]).await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let r = app
        .http
        .post(&app.url)
        .header("x-request-id", "lb-abc_123")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-abc_123");
    let r = app
        .http
        .post(&app.url)
        .header("x-request-id", "bad id with spaces")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    let untrusted = spawn_app().await;
    let trusted = spawn_app_with(Options::configure(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    }))
    .await;
    for (app, expect) in [(&untrusted, 508), (&trusted, 200)] {
        let r = app
            .signed("admin_app_id", ADMIN_SECRET, "system.ping", json!({}))
            .header("x-forwarded-for", "10.1.2.3")
            .send()
            .await
            .unwrap();
        assert_code(&envelope(r).await, expect);
    }
}

#[tokio::test]
async fn internal_failures_are_500_with_a_plain_message() {
    let app = spawn_app_with(Options {
        extend: Some(Box::new(test_methods)),
        ..Options::configure(|s| config::set_handler_timeout(s, Duration::from_millis(300)))
    })
    .await;
    for method in ["test.fail", "test.panic", "test.slow"] {
        let env = app.call(method, json!({})).await;
        assert_eq!(
            env,
            json!({"code": 500, "msg": "服务器繁忙，请稍后重试"}),
            "{method}"
        );
    }
    // The gateway is still healthy after a handler panicked.
    assert_code(&app.call("system.ping", json!({})).await, 200);
}

#[tokio::test]
async fn metrics_count_requests_codes_and_secret_slots() {
    let app = spawn_app().await;
    app.call("system.ping", json!({})).await;
    app.call("system.nope", json!({})).await;
    let text = app.metrics().await;
    assert!(
        text.contains(r#"yafgate_requests_total{method="system.ping",code="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"yafgate_requests_total{method="_unknown",code="509"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"yafgate_secret_slot_verifications_total{appid="ios_app_id",slot="0"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"yafgate_pool_connections{store="postgres",state="max"} 4"#),
        "{text}"
    );
    assert!(
        text.contains("yafgate_request_duration_seconds_count 2"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_are_refused_outside_the_allow_list() {
    let app = spawn_app_with(Options::configure(|s| {
        s.server.metrics_allow = vec!["10.0.0.0/8".parse().unwrap()];
    }))
    .await;
    assert_eq!(app.get("/metrics").await.status(), 403);
}

#[tokio::test]
async fn nul_bytes_and_overlong_fixed_parameters_are_refused_as_503() {
    let app = spawn_app().await;
    for (key, value) in [
        ("unique_id", "dev\u{0}ice".to_string()),
        ("channel", "x".repeat(300)),
        ("app_v", "1.0\u{0}".to_string()),
    ] {
        let env = app
            .call("system.request.token", json!({key: value, "number": 1}))
            .await;
        assert_eq!(
            env,
            json!({"code": 503, "msg": format!("参数 {key} 格式不正确")}),
            "{key}"
        );
    }
    let env = app
        .call(
            "user.login",
            json!({"mobile": "1380013800\u{0}", "login_type": 2, "code": "x"}),
        )
        .await;
    assert_code(&env, 503);
}
