//! Account journeys the tests repeat: getting an SMS code, registering,
//! logging in.

use serde_json::{Value, json};

use super::{IOS_SECRET, TestApp, assert_code, poll_until};

impl TestApp {
    /// Send an SMS code (echoed in test config) and return it, waiting out
    /// the send interval if a previous send to this mobile is too recent
    /// (a resend within the same second is a replay of the same bytes,
    /// docs/protocol.md §11.5, and is retried too).
    pub async fn sms_code(&self, mobile: &str, key: &str) -> String {
        let env = poll_until(
            "sms.send is past the interval",
            10,
            || self.call("sms.send", json!({"mobile": mobile, "key": key})),
            |env: &Value| {
                let msg = env["msg"].as_str().unwrap_or("");
                !msg.contains("间隔") && !msg.contains("请求重复")
            },
        )
        .await;
        assert_code(&env, 200);
        env["data"]["code"]
            .as_str()
            .expect("echoed code")
            .to_string()
    }

    /// Register `mobile` on the iOS app; the envelope.
    pub async fn register(&self, mobile: &str, password: &str) -> Value {
        let code = self.sms_code(mobile, "USER_REGISTER_CODE").await;
        self.call(
            "user.register",
            json!({"mobile": mobile, "password": password, "code": code}),
        )
        .await
    }

    /// Register and return the session token.
    pub async fn register_token(&self, mobile: &str, password: &str) -> String {
        let env = self.register(mobile, password).await;
        assert_code(&env, 200);
        env["data"]["token"].as_str().unwrap().to_string()
    }

    /// Password login as `appid`; the envelope.
    pub async fn login_as(&self, appid: &str, secret: &str, mobile: &str, password: &str) -> Value {
        self.call_as(
            appid,
            secret,
            "user.login",
            json!({"mobile": mobile, "login_type": 2, "code": password}),
        )
        .await
    }

    /// Password login on iOS; the token.
    pub async fn login_token(&self, mobile: &str, password: &str) -> String {
        let env = self
            .login_as("ios_app_id", IOS_SECRET, mobile, password)
            .await;
        assert_code(&env, 200);
        env["data"]["token"].as_str().unwrap().to_string()
    }

    /// Call as iOS with a session token.
    pub async fn call_with_token(&self, method: &str, token: &str, mut params: Value) -> Value {
        params["token"] = json!(token);
        self.call(method, params).await
    }
}

/// Direct access to a session's Redis key, for tests of expiry: watching
/// the key does not slide it, as every authenticated call would. The key is
/// read in the Redis this gateway was configured with.
impl TestApp {
    async fn session_command(&self, cmd: &str, token: &str, arg: Option<i64>) -> i64 {
        let mut c = self.redis();
        let mut command = redis::cmd(cmd);
        command.arg(format!("{}sess:{token}", self.redis_prefix()));
        if let Some(a) = arg {
            command.arg(a);
        }
        command.query_async(&mut c).await.unwrap()
    }

    /// Seconds the session of `token` has left (-2 when it is gone).
    pub async fn session_ttl(&self, token: &str) -> i64 {
        self.session_command("TTL", token, None).await
    }

    /// Make the session of `token` expire in `secs`.
    pub async fn expire_session_in(&self, token: &str, secs: i64) {
        self.session_command("EXPIRE", token, Some(secs)).await;
    }
}
