//! The sandbox driver's side of the platform (docs/protocol.md,
//! "Payments"): it signs and encrypts notifications with the DEMO keys of
//! `config/payments-demo/` and delivers them to the gateway's own callback
//! route, so a sandbox payment is paid through the production code path.

use anyhow::{Context, bail};
use rust_decimal::Decimal;
use serde_json::json;

use super::wechat::{self, NotifyHeaders, RsaSigner};
use super::{PayKeys, nonce};
use crate::config::payments::PaySettings;
use crate::domain::Money;
use crate::stores::Stores;

/// DEMO VALUE: the sandbox merchant key (signs pay blocks).
pub const MERCHANT_KEY: &str = include_str!("../../../config/payments-demo/merchant_key.pem");
/// DEMO VALUE: the sandbox platform key (signs notifications).
pub const PLATFORM_KEY: &str = include_str!("../../../config/payments-demo/platform_key.pem");
/// DEMO VALUE: its public half (verifies them).
pub const PLATFORM_PUBLIC_KEY: &str =
    include_str!("../../../config/payments-demo/platform_public_key.pem");
/// DEMO VALUE: the sandbox's API v3 key (encrypts notification resources).
pub const API_V3_KEY: &[u8; 32] = b"DEMO-sandbox-apiv3-key-000000000";

/// A notification as the platform would send it: headers and body.
pub struct Delivery {
    pub headers: NotifyHeaders,
    pub body: String,
}

impl Delivery {
    /// Sign and encrypt a notification of `event_type` carrying `resource`,
    /// as the platform does: `id` is its notification id.
    ///
    /// # Errors
    /// A key of the wrong size (never with the demo keys).
    pub fn build(
        settings: &PaySettings,
        platform: &RsaSigner,
        api_v3_key: &[u8],
        id: &str,
        event_type: &str,
        resource: &serde_json::Value,
        now: i64,
    ) -> anyhow::Result<Self> {
        let aad = if event_type.starts_with("REFUND") {
            "refund"
        } else {
            "transaction"
        };
        let resource_nonce = &nonce()[..12];
        let ciphertext = wechat::aead_encrypt(
            api_v3_key,
            resource_nonce,
            aad,
            resource.to_string().as_bytes(),
        )?;
        let body = json!({
            "id": id,
            "create_time": chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().to_rfc3339(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": if aad == "refund" { "退款成功" } else { "支付成功" },
            "resource": {
                "original_type": aad,
                "algorithm": wechat::AEAD,
                "ciphertext": ciphertext,
                "associated_data": aad,
                "nonce": resource_nonce,
            }
        })
        .to_string();
        let timestamp = now.to_string();
        let header_nonce = nonce();
        let signature = platform.sign(&wechat::message(&[&timestamp, &header_nonce, &body]));
        Ok(Self {
            headers: NotifyHeaders {
                timestamp,
                nonce: header_nonce,
                signature,
                serial: settings.platform_serial.clone(),
            },
            body,
        })
    }

    /// POST it to `url`; the HTTP status of the answer.
    ///
    /// # Errors
    /// The gateway cannot be reached.
    pub async fn post(&self, http: &reqwest::Client, url: &str) -> anyhow::Result<u16> {
        let h = &self.headers;
        let resp = http
            .post(url)
            .header("content-type", "application/json")
            .header("wechatpay-timestamp", &h.timestamp)
            .header("wechatpay-nonce", &h.nonce)
            .header("wechatpay-signature", &h.signature)
            .header("wechatpay-serial", &h.serial)
            .body(self.body.clone())
            .send()
            .await
            .with_context(|| format!("posting the notification to {url}"))?;
        Ok(resp.status().as_u16())
    }
}

/// The resource of a successful payment of `out_trade_no`.
pub fn transaction_resource(
    settings: &PaySettings,
    out_trade_no: &str,
    amount: Money,
    now: i64,
) -> serde_json::Value {
    json!({
        "mchid": settings.mchid,
        "appid": settings.appid,
        "out_trade_no": out_trade_no,
        "transaction_id": format!("4200{now}{}", &nonce()[..8]),
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().to_rfc3339(),
        "payer": {"openid": "sandbox-payer"},
        "amount": {"total": amount.cents(), "payer_total": amount.cents(), "currency": "CNY", "payer_currency": "CNY"},
    })
}

/// The resource of a successful refund.
pub fn refund_resource(
    settings: &PaySettings,
    out_trade_no: &str,
    out_refund_no: &str,
    total: Money,
    refund: Money,
) -> serde_json::Value {
    json!({
        "mchid": settings.mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": "",
        "out_refund_no": out_refund_no,
        "refund_id": format!("5030{}", &nonce()[..16]),
        "refund_status": "SUCCESS",
        "amount": {"total": total.cents(), "refund": refund.cents(), "payer_total": total.cents(), "payer_refund": refund.cents()},
    })
}

/// The sandbox keys, or an error when the driver is not the sandbox.
fn platform(keys: &PayKeys) -> anyhow::Result<&RsaSigner> {
    keys.sandbox_platform
        .as_ref()
        .context("settle and sandbox refunds exist only with payments.driver = \"sandbox\"")
}

/// The notification that `out_trade_no` was paid, signed and encrypted.
///
/// # Errors
/// Not the sandbox, no such payment, or a store failure.
pub async fn settle_delivery(
    stores: &Stores,
    settings: &PaySettings,
    keys: &PayKeys,
    out_trade_no: &str,
    now: i64,
) -> anyhow::Result<Delivery> {
    let platform = platform(keys)?;
    let db = stores.pg().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let row = db
        .query_opt(
            "SELECT amount FROM payments WHERE out_trade_no = $1",
            &[&out_trade_no],
        )
        .await?;
    let Some(row) = row else {
        bail!("no payment {out_trade_no}");
    };
    let amount = Money::from_decimal(row.get::<_, Decimal>(0)).context("amount out of bounds")?;
    let resource = transaction_resource(settings, out_trade_no, amount, now);
    let id = format!("sandbox-{}", nonce());
    Delivery::build(
        settings,
        platform,
        keys.api_v3_key(),
        &id,
        "TRANSACTION.SUCCESS",
        &resource,
        now,
    )
}

/// The notification that refund `out_refund_no` succeeded.
///
/// # Errors
/// Not the sandbox, or a key of the wrong size.
pub fn refund_delivery(
    settings: &PaySettings,
    keys: &PayKeys,
    out_trade_no: &str,
    out_refund_no: &str,
    total: Money,
    refund: Money,
    now: i64,
) -> anyhow::Result<Delivery> {
    let platform = platform(keys)?;
    let resource = refund_resource(settings, out_trade_no, out_refund_no, total, refund);
    let id = format!("sandbox-{}", nonce());
    Delivery::build(
        settings,
        platform,
        keys.api_v3_key(),
        &id,
        "REFUND.SUCCESS",
        &resource,
        now,
    )
}
