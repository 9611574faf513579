//! Payments (docs/protocol.md, "Payments"): the driver's keys, the kinds of
//! subject a payment can be for and their on-paid hooks, and opening a
//! payment (the row and the client's pay block). Notifications are applied
//! in [`notify`]; the sandbox's own notifications are made in [`sandbox`].

pub mod notify;
pub mod refund;
pub mod sandbox;
pub mod wechat;

use std::collections::HashMap;

use anyhow::Context;
use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::config::payments::{PayDriver, PaySettings};
use crate::domain::Money;
use crate::protocol::error::{ApiError, ApiResult};
use crate::shared::jobs::Sweep;
use crate::shared::machine::{Actor, By, Key, Machine, transition};
use crate::stores::Stores;
use crate::stores::db::Tx;
use wechat::{Merchant, PayBlock, PrepayOrder, RsaSigner, RsaVerifier};

/// The keys a driver signs, verifies and decrypts with. Read once at
/// start-up (`payments` is a restart-only setting).
pub struct PayKeys {
    pub merchant: RsaSigner,
    pub platform: RsaVerifier,
    api_v3_key: Vec<u8>,
    /// The sandbox plays the platform: it signs its own notifications.
    pub sandbox_platform: Option<RsaSigner>,
}

impl PayKeys {
    /// The sandbox's demo keys, or the wechatpay driver's configured files.
    /// With payments off nothing signs or verifies; the demo keys fill the
    /// slots and nothing can settle.
    ///
    /// # Errors
    /// A key file that cannot be read or is not a key of the right kind.
    pub fn load(p: &PaySettings) -> anyhow::Result<Self> {
        match p.driver {
            PayDriver::Off | PayDriver::Sandbox => Ok(Self {
                merchant: RsaSigner::from_pem(sandbox::MERCHANT_KEY)?,
                platform: RsaVerifier::from_pem(sandbox::PLATFORM_PUBLIC_KEY)?,
                api_v3_key: sandbox::API_V3_KEY.to_vec(),
                sandbox_platform: (p.driver == PayDriver::Sandbox)
                    .then(|| RsaSigner::from_pem(sandbox::PLATFORM_KEY))
                    .transpose()?,
            }),
            PayDriver::Wechatpay => {
                let read = |key: &str, path: &std::path::Path| {
                    std::fs::read_to_string(path)
                        .with_context(|| format!("payments.{key}: cannot read {}", path.display()))
                };
                let merchant = read("merchant_key_file", &p.merchant_key_file)?;
                let platform = read("platform_public_key_file", &p.platform_public_key_file)?;
                Ok(Self {
                    merchant: RsaSigner::from_pem(&merchant)
                        .context("payments.merchant_key_file: not a PKCS#8 PEM RSA key")?,
                    platform: RsaVerifier::from_pem(&platform)
                        .context("payments.platform_public_key_file: not an SPKI PEM RSA key")?,
                    api_v3_key: p.api_v3_key.expose().as_bytes().to_vec(),
                    sandbox_platform: None,
                })
            }
        }
    }

    /// The API v3 key (never logged).
    pub fn api_v3_key(&self) -> &[u8] {
        &self.api_v3_key
    }
}

/// What a product does in the notification's transaction after its
/// subject took the payment (e.g. make redemption codes).
pub type AfterPaid = for<'a> fn(&'a Tx<'a>, Paid<'a>) -> BoxFuture<'a, anyhow::Result<()>>;

/// What an on-paid hook is told of the payment.
#[derive(Clone, Copy, Debug)]
pub struct Paid<'a> {
    /// The subject's id (e.g. the order's).
    pub subject: i64,
    /// The payment's reference, recorded as the actor of the transition.
    pub out_trade_no: &'a str,
    /// The gateway clock's Unix time.
    pub now: i64,
}

/// How a kind of subject takes its payment: its machine's `pay` action,
/// then what the product adds.
#[derive(Clone, Copy)]
struct OnPaid {
    machine: &'static Machine,
    then: Option<AfterPaid>,
}

/// The kinds of subject payments are for, each with its machine.
#[derive(Default, Clone)]
pub struct Subjects {
    hooks: HashMap<&'static str, OnPaid>,
}

impl Subjects {
    /// Register `kind` (e.g. `"order"`): a payment for one moves it by
    /// `machine`'s `pay` action, then runs `then`.
    ///
    /// # Panics
    /// The kind registered twice, or a machine without a `pay` action taken
    /// by the payment (programming errors, caught at start-up).
    pub fn register(
        &mut self,
        kind: &'static str,
        machine: &'static Machine,
        then: Option<AfterPaid>,
    ) {
        assert!(
            machine
                .actions
                .iter()
                .any(|a| a.name == "pay" && a.by.contains(&By::Payment)),
            "machine {} has no pay action taken by the payment",
            machine.name
        );
        assert!(
            self.hooks.insert(kind, OnPaid { machine, then }).is_none(),
            "subject kind {kind} registered twice"
        );
    }

    /// Whether `kind` is registered.
    pub fn knows(&self, kind: &str) -> bool {
        self.hooks.contains_key(kind)
    }

    /// Let the subject of `kind` take `paid` in the notification's
    /// transaction: `Ok(true)` when it moved to paid, `Ok(false)` when it
    /// could no longer take the money (it is recorded for support, who
    /// refund it), an error for an unknown kind.
    ///
    /// # Errors
    /// An unknown kind; a store error.
    pub async fn take(&self, kind: &str, tx: &Tx<'_>, paid: Paid<'_>) -> anyhow::Result<bool> {
        let hook = self
            .hooks
            .get(kind)
            .ok_or_else(|| anyhow::anyhow!("no on-paid hook for subject kind {kind}"))?;
        if !take_payment(tx, hook.machine, paid).await? {
            return Ok(false);
        }
        if let Some(then) = hook.then {
            then(tx, paid).await?;
        }
        Ok(true)
    }
}

/// An on-paid hook's transition (docs/protocol.md, "Payments"): the
/// machine's `pay` action on the paid subject, taken by the payment inside
/// the notification's transaction. `false` when the subject can no longer
/// take the money (cancelled or closed meanwhile): nothing was written.
///
/// # Errors
/// A store error.
async fn take_payment(tx: &Tx<'_>, machine: &Machine, paid: Paid<'_>) -> anyhow::Result<bool> {
    let actor = Actor::Payment(paid.out_trade_no.to_string());
    match transition(tx, machine, Key::Id(paid.subject), "pay", &actor, paid.now).await {
        Ok(_) => Ok(true),
        Err(ApiError::Internal(e)) => Err(e),
        Err(ApiError::Refused { .. }) => Ok(false),
    }
}

/// What a payment is for.
pub struct Subject<'a> {
    pub kind: &'static str,
    pub id: i64,
    pub user_id: i64,
    pub amount: Money,
    /// Shown by the provider on the payer's bill.
    pub description: &'a str,
}

/// An open payment and what the client needs to pay it.
#[derive(Debug, Serialize)]
pub struct Opened {
    pub out_trade_no: String,
    pub amount: Money,
    pub pay: PayBlock,
}

/// The payment service under one config snapshot.
pub struct Payments<'a> {
    pub stores: &'a Stores,
    pub settings: &'a PaySettings,
    pub keys: &'a PayKeys,
    pub http: &'a reqwest::Client,
    /// Unix seconds by the gateway's clock.
    pub now: i64,
    /// Where this process listens: the sandbox delivers its notifications
    /// to the gateway's own callback route there.
    pub local_addr: std::net::SocketAddr,
}

impl Payments<'_> {
    /// The open payment of `subject`, or a new one: at most one payment
    /// per subject waits for money at a time (a unique index), so two
    /// calls at once share it. An expired one is closed first.
    ///
    /// # Errors
    /// 503 when the provider refuses the prepay; store failures.
    pub async fn open(
        &self,
        subject: &Subject<'_>,
        payer_openid: Option<&str>,
    ) -> ApiResult<Opened> {
        self.enabled()?;
        // Each store step takes a connection of its own: none is held across
        // the provider's prepay call or the RSA signing of the pay block.
        if let Some(open) = self.current(subject).await? {
            return self.opened(open);
        }
        let out_trade_no = new_out_trade_no(self.now);
        let prepay_id = self.prepay(subject, &out_trade_no, payer_openid).await?;
        let expires = self.now + i64::from(self.settings.expire_minutes) * 60;
        let inserted = self
            .stores
            .pg()
            .await?
            .execute(
                "INSERT INTO payments (out_trade_no, subject_kind, subject_id, user_id, amount, driver, \
                 prepay_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::bigint)) \
                 ON CONFLICT (subject_kind, subject_id) WHERE status = 'created' DO NOTHING",
                &[
                    &out_trade_no,
                    &subject.kind,
                    &subject.id,
                    &subject.user_id,
                    &subject.amount.to_decimal(),
                    &self.settings.driver.name(),
                    &prepay_id,
                    &expires,
                ],
            )
            .await?;
        if inserted == 0 {
            // Another call opened one first: answer that one.
            let open = self.current(subject).await?.ok_or_else(|| {
                anyhow::anyhow!("payment for {} {} vanished", subject.kind, subject.id)
            })?;
            return self.opened(open);
        }
        tracing::info!(%out_trade_no, kind = subject.kind, id = subject.id, amount = %subject.amount, "payment opened");
        Ok(Opened {
            pay: self.block(&prepay_id),
            out_trade_no,
            amount: subject.amount,
        })
    }

    /// The subject's open payment (out_trade_no, prepay_id, amount), after
    /// closing an expired one.
    async fn current(
        &self,
        subject: &Subject<'_>,
    ) -> ApiResult<Option<(String, String, rust_decimal::Decimal)>> {
        let db = self.stores.pg().await?;
        db.execute(
            "UPDATE payments SET status = 'closed', updated_at = now() WHERE subject_kind = $1 \
             AND subject_id = $2 AND status = 'created' AND expires_at <= to_timestamp($3::bigint)",
            &[&subject.kind, &subject.id, &self.now],
        )
        .await?;
        let row = db
            .query_opt(
                "SELECT out_trade_no, prepay_id, amount FROM payments \
                 WHERE subject_kind = $1 AND subject_id = $2 AND status = 'created'",
                &[&subject.kind, &subject.id],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    /// 503 while `payments.driver = "off"`.
    ///
    /// # Errors
    /// Payments are off.
    pub fn enabled(&self) -> ApiResult<()> {
        if self.settings.driver == PayDriver::Off {
            Err(ApiError::business("支付暂未开通"))
        } else {
            Ok(())
        }
    }

    fn opened(
        &self,
        (out_trade_no, prepay_id, amount): (String, String, rust_decimal::Decimal),
    ) -> ApiResult<Opened> {
        let amount = Money::from_decimal(amount)
            .ok_or_else(|| anyhow::anyhow!("payment {out_trade_no}: amount out of bounds"))?;
        Ok(Opened {
            pay: self.block(&prepay_id),
            out_trade_no,
            amount,
        })
    }

    fn block(&self, prepay_id: &str) -> PayBlock {
        PayBlock::new(
            &self.settings.appid,
            prepay_id,
            self.now,
            &nonce(),
            &self.keys.merchant,
        )
    }

    /// A prepay id: made locally by the sandbox, asked of the provider by
    /// the wechatpay driver.
    async fn prepay(
        &self,
        s: &Subject<'_>,
        out_trade_no: &str,
        openid: Option<&str>,
    ) -> ApiResult<String> {
        if self.settings.driver == PayDriver::Sandbox {
            return Ok(format!(
                "sandbox_{}",
                hex::encode(rand::random::<[u8; 12]>())
            ));
        }
        let openid = openid.ok_or_else(|| ApiError::business("请在微信小程序内支付"))?;
        let expire = chrono::DateTime::from_timestamp(
            self.now + i64::from(self.settings.expire_minutes) * 60,
            0,
        )
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let body = wechat::jsapi_body(&PrepayOrder {
            appid: &self.settings.appid,
            mchid: &self.settings.mchid,
            description: s.description,
            out_trade_no,
            time_expire: &expire,
            notify_url: &self.notify_url(),
            total_fen: s.amount.cents(),
            payer_openid: openid,
        });
        let answer = self
            .post(wechat::JSAPI_PATH, body, "支付下单失败，请稍后重试")
            .await?;
        answer["prepay_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("prepay answer without prepay_id").into())
    }

    /// Where the provider notifies this driver.
    pub fn notify_url(&self) -> String {
        format!(
            "{}/notify/pay/{}",
            self.settings.notify_base_url.trim_end_matches('/'),
            self.settings.driver.name()
        )
    }

    /// POST a signed API v3 request; the answer's JSON.
    ///
    /// # Errors
    /// 503 with `refused` when the provider answers an error; 500 when it
    /// cannot be reached or answers something else than JSON.
    async fn post(
        &self,
        path: &str,
        body: String,
        refused: &'static str,
    ) -> ApiResult<serde_json::Value> {
        let merchant = Merchant {
            mchid: &self.settings.mchid,
            serial_no: &self.settings.merchant_serial_no,
            key: &self.keys.merchant,
        };
        let auth = merchant.authorization("POST", path, self.now, &nonce(), &body);
        let url = format!("{}{path}", self.settings.api_base_url.trim_end_matches('/'));
        let resp = self
            .http
            .post(url)
            .header("authorization", auth)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .context("payment provider unreachable")?;
        let status = resp.status();
        let answer: serde_json::Value = resp.json().await.context("payment provider answer")?;
        if !status.is_success() {
            tracing::warn!(%status, code = %answer["code"], "payment provider refused {path}");
            return Err(ApiError::business(refused));
        }
        Ok(answer)
    }
}

/// The timed close of payments nobody paid before they expired
/// (docs/protocol.md §17, §18.5): `created` past `expires_at` becomes
/// `closed`, so no payment waits for money forever. A late notification
/// for a closed payment still applies (the provider took the money), and a
/// subject's next pay opens a new payment.
pub const CLOSE_EXPIRED: Sweep = Sweep {
    name: "payments.close_expired",
    sql: "UPDATE payments SET status = 'closed', updated_at = now() WHERE id IN \
          (SELECT id FROM payments WHERE status = 'created' AND expires_at <= to_timestamp($1) \
          ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)",
    after_secs: |_| 0,
};

/// 32 random hex characters.
pub fn nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// `P` + Unix seconds + 12 random hex digits: 23 characters, unique.
fn new_out_trade_no(now: i64) -> String {
    format!("P{now}{}", hex::encode(rand::random::<[u8; 6]>()))
}
