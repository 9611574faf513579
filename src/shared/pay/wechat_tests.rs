//! Unit tests of the WeChat Pay v3 wire format: the NIST AES-256-GCM
//! vector, a signature checked against OpenSSL's, and round trips.

use super::*;

const MERCHANT_KEY: &str = include_str!("../../../config/payments-demo/merchant_key.pem");
const MERCHANT_PUBLIC: &str = include_str!("../../../config/payments-demo/merchant_public_key.pem");
const PLATFORM_KEY: &str = include_str!("../../../config/payments-demo/platform_key.pem");
const PLATFORM_PUBLIC: &str = include_str!("../../../config/payments-demo/platform_public_key.pem");

fn hex(s: &str) -> Vec<u8> {
    ::hex::decode(s).unwrap()
}

/// The GCM specification's test case 16 (AES-256, 96-bit IV, with AAD).
#[test]
fn aes_256_gcm_matches_the_nist_vector() {
    let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    let iv = hex("cafebabefacedbaddecaf888");
    let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let plain = hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    );
    let expected = hex(concat!(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b"
    ));
    assert_eq!(seal(&key, &iv, &aad, &plain).unwrap(), expected);
    assert_eq!(open(&key, &iv, &aad, &expected).unwrap(), plain);
    let mut tampered = expected.clone();
    tampered[0] ^= 1;
    assert!(open(&key, &iv, &aad, &tampered).is_err());
    assert!(open(&key, &iv, b"other", &expected).is_err());
}

/// PKCS#1 v1.5 signatures are deterministic: the demo key's signature of
/// the API v3 documentation's example request, as `openssl dgst -sha256
/// -sign config/payments-demo/merchant_key.pem` computed it.
#[test]
fn request_signatures_match_openssl() {
    let key = RsaSigner::from_pem(MERCHANT_KEY).unwrap();
    let merchant = Merchant {
        mchid: "1900009191",
        serial_no: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        key: &key,
    };
    let openssl = "kUfBzEICJsGpYMvqeOmGytFvCxN155HgneW51/lz23WWMR9XhD/LQokoA5aV3atucJeHyT+iu77igV+jc0ArylVcAYFoOdjbuZJQPFYFuMqttjBcI1iv0dxL8UvB831M/UzWYUJ9QwisYUjykXyIqHVoMKWyn4Dz6Y3w/kqpwIX2TLk5ksDAEJNQOOCzEFgSq78g73dge2ut7gVFRh4mEdY7MSFrchkie58dI6OBYaAGnbeFZWPQqOqByElJQCYBrO/+8+l6Uizhj/Nxx/g7XrnrY8Rw/qLLHg4h6sjyKKzoQuuVd5qw4cFUD9h0nXkEyPSIOIhsNir8nxJvnkAJOw==";
    let header = merchant.authorization(
        "GET",
        "/v3/certificates",
        1_554_208_460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "",
    );
    assert_eq!(
        header,
        format!(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="{openssl}",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C""#
        )
    );
}

#[test]
fn the_pay_block_is_signed_over_its_four_lines() {
    let key = RsaSigner::from_pem(MERCHANT_KEY).unwrap();
    let block = PayBlock::new(
        "wxdemo",
        "wx201410272009395522657a690389285100",
        1_414_561_699,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        &key,
    );
    assert_eq!(
        block.package,
        "prepay_id=wx201410272009395522657a690389285100"
    );
    assert_eq!(block.sign_type, "RSA");
    let public = RsaVerifier::from_pem(MERCHANT_PUBLIC).unwrap();
    let signed = "wxdemo\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n";
    public.verify(signed, &block.pay_sign).unwrap();
    assert!(
        public
            .verify(&signed.replace("wxdemo", "wxother"), &block.pay_sign)
            .is_err()
    );
    let wire = serde_json::to_value(&block).unwrap();
    for field in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(wire.get(field).is_some(), "{field}");
    }
}

#[test]
fn notifications_verify_only_unchanged_and_with_the_platform_key() {
    let platform = RsaSigner::from_pem(PLATFORM_KEY).unwrap();
    let verifier = RsaVerifier::from_pem(PLATFORM_PUBLIC).unwrap();
    let body = r#"{"id":"EV-1"}"#;
    let h = NotifyHeaders {
        timestamp: "1700000000".into(),
        nonce: "fdasflkja484w".into(),
        signature: platform.sign(&message(&["1700000000", "fdasflkja484w", body])),
        serial: "S".into(),
    };
    verify_notification(&verifier, &h, body).unwrap();
    assert!(verify_notification(&verifier, &h, r#"{"id":"EV-2"}"#).is_err());
    let late = NotifyHeaders {
        timestamp: "1700000001".into(),
        ..h.clone()
    };
    assert!(verify_notification(&verifier, &late, body).is_err());
    let forged = NotifyHeaders {
        signature: RsaSigner::from_pem(MERCHANT_KEY).unwrap().sign(&message(&[
            "1700000000",
            "fdasflkja484w",
            body,
        ])),
        ..h.clone()
    };
    assert!(verify_notification(&verifier, &forged, body).is_err());
    let garbage = NotifyHeaders {
        signature: "not base64!".into(),
        ..h
    };
    assert!(verify_notification(&verifier, &garbage, body).is_err());
}

#[test]
fn resources_round_trip_and_refuse_a_wrong_key_or_aad() {
    let key = b"0123456789abcdef0123456789abcdef";
    let plain = br#"{"out_trade_no":"P1","amount":{"total":100}}"#;
    let ciphertext = aead_encrypt(key, "abcdefghijkl", "transaction", plain).unwrap();
    let r = Resource {
        algorithm: AEAD.into(),
        ciphertext,
        associated_data: "transaction".into(),
        nonce: "abcdefghijkl".into(),
        original_type: "transaction".into(),
    };
    assert_eq!(decrypt_resource(key, &r).unwrap()["amount"]["total"], 100);
    assert!(decrypt_resource(b"0123456789abcdef0123456789abcdeX", &r).is_err());
    let other_aad = Resource {
        associated_data: "refund".into(),
        ..r.clone()
    };
    assert!(decrypt_resource(key, &other_aad).is_err());
    let other_alg = Resource {
        algorithm: "AES_128".into(),
        ..r.clone()
    };
    assert!(decrypt_resource(key, &other_alg).is_err());
    let short_nonce = Resource {
        nonce: "abc".into(),
        ..r
    };
    assert!(decrypt_resource(key, &short_nonce).is_err());
}

#[test]
fn prepay_and_refund_bodies_carry_fen_and_the_notify_url() {
    let body: Value = serde_json::from_str(&jsapi_body(&PrepayOrder {
        appid: "wxdemo",
        mchid: "1900000001",
        description: "订单 2019",
        out_trade_no: "P2019",
        time_expire: "2026-01-01T10:00:00+08:00",
        notify_url: "https://gw.example.com/notify/pay/wechatpay",
        total_fen: 39_900,
        payer_openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    }))
    .unwrap();
    assert_eq!(body["amount"], json!({"total": 39_900, "currency": "CNY"}));
    assert_eq!(body["payer"]["openid"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    assert_eq!(
        body["notify_url"],
        "https://gw.example.com/notify/pay/wechatpay"
    );
    let refund: Value =
        serde_json::from_str(&refund_body("P2019", "R1", 100, 39_900, "u")).unwrap();
    assert_eq!(
        refund["amount"],
        json!({"refund": 100, "total": 39_900, "currency": "CNY"})
    );
    assert!(RsaSigner::from_pem(PLATFORM_PUBLIC).is_err());
    assert!(
        RsaVerifier::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            .is_err()
    );
}
