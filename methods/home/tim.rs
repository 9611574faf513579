//! Tencent IM login credentials (UserSig, version 2.0) computed locally
//! (docs/protocol.md §22.6): HMAC-SHA256 with the application's secret key
//! over the content string, put in a JSON document, zlib-compressed and
//! base64-encoded with `+/=` replaced by `*-_`.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

/// The UserSig of `identifier` for the TIM application `sdk_app_id`,
/// issued at `time` (Unix seconds) and valid `expire` seconds.
///
/// # Errors
/// Compression into memory failed (never expected).
pub fn user_sig(
    sdk_app_id: u64,
    key: &str,
    identifier: &str,
    time: i64,
    expire: u32,
) -> std::io::Result<String> {
    let content = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdk_app_id}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    mac.update(content.as_bytes());
    let sig = STANDARD.encode(mac.finalize().into_bytes());
    // The key order of Tencent's reference implementations.
    let doc = json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdk_app_id,
        "TLS.expire": expire,
        "TLS.time": time,
        "TLS.sig": sig,
    });
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(doc.to_string().as_bytes())?;
    let compressed = z.finish()?;
    Ok(STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    /// The example application of Tencent's tls-sig-api-v2 README.
    const SDK_APP_ID: u64 = 1_400_000_000;
    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    fn decoded(sig: &str) -> serde_json::Value {
        let b64: String = sig
            .chars()
            .map(|c| match c {
                '*' => '+',
                '-' => '/',
                '_' => '=',
                c => c,
            })
            .collect();
        let mut text = String::new();
        flate2::read::ZlibDecoder::new(&STANDARD.decode(b64).unwrap()[..])
            .read_to_string(&mut text)
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn the_signature_is_the_reference_hmac_of_the_content_string() {
        // Computed with the reference algorithm (Python's hmac and zlib at
        // the default level), independently of this code.
        let sig = user_sig(SDK_APP_ID, KEY, "xiaojun", 1_600_000_000, 15_552_000).unwrap();
        let doc = decoded(&sig);
        assert_eq!(
            doc,
            json!({"TLS.ver": "2.0", "TLS.identifier": "xiaojun", "TLS.sdkappid": 1_400_000_000u64,
                   "TLS.expire": 15_552_000, "TLS.time": 1_600_000_000,
                   "TLS.sig": "1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="})
        );
        // The whole UserSig the reference produced: the compressed bytes may
        // differ between zlib implementations, the document may not.
        let reference = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMikVhRkFqUCxU1NTY3goiWZuSAxM1S1xZnpQJMNo0wD8tJdstwTS9NSgzMD8p1KK1I8Is1dvY29QlIcs3wDLI2DTbzLwox9bZVqAaoDMbs_";
        assert_eq!(decoded(reference), doc);
        assert!(!sig.contains(['+', '/', '=']), "{sig}");
    }

    #[test]
    fn the_seed_example_decodes_to_the_same_document_shape() {
        // The `sign` of seed 000's 获取当前用户的TIM登陆凭证 example.
        let seed = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwoZQweKU7MSCgswUJStDEwMDE1MLYxNDiExqRUFmUaqSlaWxmYEBRKgkMxcoYGhmaGpkYGRiaAk1IjMdaKBlRGpOUlpZRo5jslGoc0mlu4VXQLa3k3aiQXFiYLGvb767QYlJpmVYdranrVItAJr*Lwo_";
        let doc = decoded(seed);
        assert_eq!(doc["TLS.identifier"], "1");
        let ours = decoded(&user_sig(1_400_458_341, KEY, "1", 1_615_202_419, 93_600).unwrap());
        let keys =
            |d: &serde_json::Value| d.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&ours), keys(&doc));
        assert_eq!(ours["TLS.sdkappid"], doc["TLS.sdkappid"]);
        assert_eq!(ours["TLS.time"], doc["TLS.time"]);
    }
}
