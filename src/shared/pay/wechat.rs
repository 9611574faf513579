//! The WeChat Pay API v3 wire format (docs/protocol.md, "Payments"):
//! request signing (`WECHATPAY2-SHA256-RSA2048`), the JSAPI prepay and
//! refund bodies, the `wx.requestPayment` block, and notifications
//! (signature over `TIMESTAMP\nNONCE\nBODY\n`, AEAD_AES_256_GCM resource).
//! Both payment drivers use exactly this code; no I/O here.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The `Authorization` scheme of API v3 requests.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// The only resource algorithm notifications use.
pub const AEAD: &str = "AEAD_AES_256_GCM";

/// Why a key or a message was refused (no key material in it).
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("key: {0}")]
    Key(String),
    #[error("bad signature")]
    Signature,
    #[error("resource does not decrypt")]
    Decrypt,
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// The message both sides sign: each part followed by `\n`.
pub fn message(parts: &[&str]) -> String {
    let mut m = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        m.push_str(p);
        m.push('\n');
    }
    m
}

/// An RSA private key that signs SHA256withRSA (PKCS#1 v1.5).
#[derive(Clone)]
pub struct RsaSigner(SigningKey<Sha256>);

impl RsaSigner {
    /// A PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`, as apiclient_key.pem).
    ///
    /// # Errors
    /// The text is not such a key.
    pub fn from_pem(pem: &str) -> Result<Self, WireError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| WireError::Key(e.to_string()))?;
        Ok(Self(SigningKey::new(key)))
    }

    /// The base64 signature of `message`.
    pub fn sign(&self, message: &str) -> String {
        B64.encode(self.0.sign(message.as_bytes()).to_bytes())
    }
}

/// An RSA public key that verifies SHA256withRSA signatures.
#[derive(Clone)]
pub struct RsaVerifier(VerifyingKey<Sha256>);

impl RsaVerifier {
    /// An SPKI PEM key (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// # Errors
    /// The text is not such a key.
    pub fn from_pem(pem: &str) -> Result<Self, WireError> {
        let key =
            RsaPublicKey::from_public_key_pem(pem).map_err(|e| WireError::Key(e.to_string()))?;
        Ok(Self(VerifyingKey::new(key)))
    }

    /// Whether `signature` (base64) signs `message`.
    ///
    /// # Errors
    /// [`WireError::Signature`] whatever was wrong with it.
    pub fn verify(&self, message: &str, signature: &str) -> Result<(), WireError> {
        let raw = B64.decode(signature).map_err(|_| WireError::Signature)?;
        let sig = Signature::try_from(raw.as_slice()).map_err(|_| WireError::Signature)?;
        self.0
            .verify(message.as_bytes(), &sig)
            .map_err(|_| WireError::Signature)
    }
}

/// The merchant's identity for signing requests.
pub struct Merchant<'a> {
    pub mchid: &'a str,
    pub serial_no: &'a str,
    pub key: &'a RsaSigner,
}

impl Merchant<'_> {
    /// The `Authorization` header of a request: SHA256withRSA over
    /// `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`, where URL is the path with
    /// its query.
    pub fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> String {
        let ts = timestamp.to_string();
        let signature = self
            .key
            .sign(&message(&[method, path_and_query, &ts, nonce, body]));
        format!(
            r#"{AUTH_SCHEME} mchid="{}",nonce_str="{nonce}",signature="{signature}",timestamp="{ts}",serial_no="{}""#,
            self.mchid, self.serial_no
        )
    }
}

/// What a JSAPI prepay asks for.
pub struct PrepayOrder<'a> {
    pub appid: &'a str,
    pub mchid: &'a str,
    pub description: &'a str,
    pub out_trade_no: &'a str,
    /// RFC 3339 with offset, as the API wants it.
    pub time_expire: &'a str,
    pub notify_url: &'a str,
    pub total_fen: i64,
    pub payer_openid: &'a str,
}

/// The path of the JSAPI prepay call.
pub const JSAPI_PATH: &str = "/v3/pay/transactions/jsapi";
/// The path of the refund call.
pub const REFUND_PATH: &str = "/v3/refund/domestic/refunds";

/// The JSON body of `POST /v3/pay/transactions/jsapi`.
pub fn jsapi_body(o: &PrepayOrder<'_>) -> String {
    json!({
        "appid": o.appid,
        "mchid": o.mchid,
        "description": o.description,
        "out_trade_no": o.out_trade_no,
        "time_expire": o.time_expire,
        "notify_url": o.notify_url,
        "amount": {"total": o.total_fen, "currency": "CNY"},
        "payer": {"openid": o.payer_openid},
    })
    .to_string()
}

/// The JSON body of `POST /v3/refund/domestic/refunds`.
pub fn refund_body(
    out_trade_no: &str,
    out_refund_no: &str,
    refund_fen: i64,
    total_fen: i64,
    notify_url: &str,
) -> String {
    json!({
        "out_trade_no": out_trade_no,
        "out_refund_no": out_refund_no,
        "notify_url": notify_url,
        "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
    })
    .to_string()
}

/// What `wx.requestPayment` takes (field names as the client API spells them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PayBlock {
    #[serde(rename = "appId")]
    pub app_id: String,
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    pub package: String,
    #[serde(rename = "signType")]
    pub sign_type: String,
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl PayBlock {
    /// The block for `prepay_id`, signed over
    /// `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant key.
    pub fn new(appid: &str, prepay_id: &str, timestamp: i64, nonce: &str, key: &RsaSigner) -> Self {
        let time_stamp = timestamp.to_string();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = key.sign(&message(&[appid, &time_stamp, nonce, &package]));
        Self {
            app_id: appid.into(),
            time_stamp,
            nonce_str: nonce.into(),
            package,
            sign_type: "RSA".into(),
            pay_sign,
        }
    }
}

/// The headers of a notification, as received.
#[derive(Debug, Clone, Default)]
pub struct NotifyHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

/// The envelope of a notification (its `resource` still encrypted).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(default)]
    pub create_time: String,
    pub event_type: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: Resource,
}

/// The encrypted part of a notification.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

/// Check a notification's signature: `signature` over
/// `TIMESTAMP\nNONCE\nBODY\n` with the platform key.
///
/// # Errors
/// [`WireError::Signature`] whatever was wrong.
pub fn verify_notification(
    platform: &RsaVerifier,
    h: &NotifyHeaders,
    body: &str,
) -> Result<(), WireError> {
    platform.verify(&message(&[&h.timestamp, &h.nonce, body]), &h.signature)
}

/// Decrypt a resource with the API v3 key.
///
/// # Errors
/// A wrong algorithm, key, nonce, associated data or a changed ciphertext.
pub fn decrypt_resource(api_v3_key: &[u8], r: &Resource) -> Result<Value, WireError> {
    if r.algorithm != AEAD {
        return Err(WireError::Malformed("resource.algorithm"));
    }
    let plain = aead_decrypt(api_v3_key, &r.nonce, &r.associated_data, &r.ciphertext)?;
    serde_json::from_slice(&plain).map_err(|_| WireError::Malformed("resource plaintext"))
}

fn cipher(key: &[u8]) -> Result<Aes256Gcm, WireError> {
    Aes256Gcm::new_from_slice(key).map_err(|_| WireError::Key("API v3 key is not 32 bytes".into()))
}

/// AEAD_AES_256_GCM: base64 of ciphertext followed by the 16-byte tag.
///
/// # Errors
/// [`WireError::Decrypt`] when it does not authenticate.
pub fn aead_decrypt(
    key: &[u8],
    nonce: &str,
    aad: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>, WireError> {
    let data = B64.decode(ciphertext_b64).map_err(|_| WireError::Decrypt)?;
    open(key, nonce.as_bytes(), aad.as_bytes(), &data)
}

/// The inverse of [`aead_decrypt`] (the sandbox plays the platform).
///
/// # Errors
/// A key that is not 32 bytes or a nonce that is not 12.
pub fn aead_encrypt(key: &[u8], nonce: &str, aad: &str, plain: &[u8]) -> Result<String, WireError> {
    seal(key, nonce.as_bytes(), aad.as_bytes(), plain).map(|c| B64.encode(c))
}

/// AES-256-GCM decryption of ciphertext ‖ tag with a 96-bit nonce.
fn open(key: &[u8], nonce: &[u8], aad: &[u8], data: &[u8]) -> Result<Vec<u8>, WireError> {
    if nonce.len() != 12 {
        return Err(WireError::Malformed("resource.nonce"));
    }
    cipher(key)?
        .decrypt(Nonce::from_slice(nonce), Payload { msg: data, aad })
        .map_err(|_| WireError::Decrypt)
}

/// AES-256-GCM encryption to ciphertext ‖ tag with a 96-bit nonce.
fn seal(key: &[u8], nonce: &[u8], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, WireError> {
    if nonce.len() != 12 {
        return Err(WireError::Malformed("resource.nonce"));
    }
    cipher(key)?
        .encrypt(Nonce::from_slice(nonce), Payload { msg: plain, aad })
        .map_err(|_| WireError::Decrypt)
}

#[cfg(test)]
#[path = "wechat_tests.rs"]
mod tests;
