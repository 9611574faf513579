//! The client side of the protocol (docs/protocol.md §1–§3): fill the
//! fixed parameters, sign `data`, encode the body (form, multipart with
//! unsigned file parts, or JSON) and post it. The CLI's `call`, the tests
//! and the bench use it, so there is one way to make a signed call. Uses
//! only `protocol`.

use serde_json::{Map, Value};

use crate::protocol::sign;

/// The device half of the fixed parameters.
#[derive(Debug, Clone)]
pub struct Device {
    pub unique_id: String,
    pub app_v: String,
    /// 1 iOS, 2 Android, 3 H5, 4 web.
    pub platform: u8,
    pub channel: String,
    pub device_token: String,
}

impl Device {
    /// A device on `platform` with the given id and the rest empty.
    pub fn new(platform: u8, unique_id: &str) -> Self {
        Self {
            unique_id: unique_id.to_string(),
            app_v: "1.0.0".into(),
            platform,
            channel: String::new(),
            device_token: String::new(),
        }
    }
}

/// The fixed parameters of a call to `method` (timestamp as a string of
/// seconds, as the apps send it).
pub fn fixed_params(
    method: &str,
    v: &str,
    appid: &str,
    timestamp: i64,
    device: &Device,
) -> Map<String, Value> {
    let mut data = Map::new();
    for (k, v) in [
        ("method", Value::from(method)),
        ("v", Value::from(v)),
        ("appid", Value::from(appid)),
        ("timestamp", Value::from(timestamp.to_string())),
        ("unique_id", Value::from(device.unique_id.as_str())),
        ("app_v", Value::from(device.app_v.as_str())),
        ("platform", Value::from(device.platform)),
        ("channel", Value::from(device.channel.as_str())),
        ("device_token", Value::from(device.device_token.as_str())),
    ] {
        data.insert(k.into(), v);
    }
    data
}

/// A `data` text and its signature, ready to encode.
#[derive(Debug, Clone)]
pub struct Signed {
    pub data: String,
    pub sign: String,
}

/// A file part sent beside `data` and `sign` (never signed).
#[derive(Debug, Clone, Copy)]
pub struct FilePart<'a> {
    pub field: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl Signed {
    /// Serialise `data` and sign the text with `secret`.
    pub fn new(data: &Map<String, Value>, secret: &str) -> Self {
        Self::text(Value::Object(data.clone()).to_string(), secret)
    }

    /// Sign a `data` text exactly as given.
    pub fn text(data: String, secret: &str) -> Self {
        let sign = sign::sign(data.as_bytes(), secret);
        Self { data, sign }
    }

    /// `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("data", &self.data)
            .append_pair("sign", &self.sign)
            .finish()
    }

    /// `application/json` body: `{"data": "<text>", "sign": "…"}`.
    pub fn json(&self) -> String {
        serde_json::json!({ "data": self.data, "sign": self.sign }).to_string()
    }

    /// `multipart/form-data` body and its content type, with `files` after
    /// the two signed fields.
    pub fn multipart(&self, files: &[FilePart<'_>]) -> (String, Vec<u8>) {
        let boundary = format!("yafgate{:016x}", rand::random::<u64>());
        let mut body = Vec::new();
        let mut part = |name: &str, file: Option<(&str, &str)>, bytes: &[u8]| {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let head = match file {
                Some((file_name, content_type)) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
            };
            body.extend_from_slice(head.as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        };
        part("data", None, self.data.as_bytes());
        part("sign", None, self.sign.as_bytes());
        for f in files {
            part(f.field, Some((f.file_name, f.content_type)), f.bytes);
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }
}

/// Post a signed call (as a form, or as multipart when `files` is not
/// empty) and read the envelope.
///
/// # Errors
/// The request failed, or the answer is not JSON (then the error carries
/// the HTTP status and the body).
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    signed: &Signed,
    files: &[FilePart<'_>],
) -> anyhow::Result<Value> {
    let (content_type, body) = if files.is_empty() {
        (
            "application/x-www-form-urlencoded".to_string(),
            signed.form().into_bytes(),
        )
    } else {
        signed.multipart(files)
    };
    let resp = http
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("POST {url}: {e}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    serde_json::from_slice(&bytes)
        .map_err(|_| anyhow::anyhow!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_call_carries_every_fixed_parameter_and_verifies() {
        let data = fixed_params(
            "system.ping",
            "1.0.0",
            "ios_app_id",
            1_493_898_621,
            &Device::new(1, "d"),
        );
        for key in [
            "method",
            "v",
            "appid",
            "timestamp",
            "unique_id",
            "app_v",
            "platform",
            "channel",
            "device_token",
        ] {
            assert!(data.contains_key(key), "{key}");
        }
        let signed = Signed::new(&data, "s3cret");
        assert!(sign::verify(signed.data.as_bytes(), &signed.sign, &["s3cret"], |s| s).is_some());
        let (content_type, body) = signed.multipart(&[FilePart {
            field: "image",
            file_name: "a.png",
            content_type: "image/png",
            bytes: b"png",
        }]);
        assert!(content_type.starts_with("multipart/form-data; boundary=yafgate"));
        assert!(String::from_utf8_lossy(&body).contains("name=\"image\"; filename=\"a.png\""));
    }
}
