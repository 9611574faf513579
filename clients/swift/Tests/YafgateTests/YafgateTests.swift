// Tests of the Swift kit against clients/vectors.json, the vectors every
// kit shares. clients/java/test (RepoChecks) checks that each section and
// field named here exists in that file, so the two cannot drift apart
// silently; the Swift toolchain itself is not on the build machine.
import Foundation
import XCTest
@testable import Yafgate

/// clients/vectors.json, found from this file's path.
struct Vectors {
    let root: [String: Any]

    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../vectors.json").standardizedFileURL
        root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func section(_ name: String) -> [String: Any] { root[name] as! [String: Any] }
    func list(_ name: String) -> [[String: Any]] { root[name] as! [[String: Any]] }
    func cases(_ name: String) -> [[String: Any]] { section(name)["cases"] as! [[String: Any]] }
}

/// Answers every request with a scripted answer and keeps what was sent.
final class Stub: URLProtocol {
    static var answer = (200, [String: String](), Data())
    static var sent: [(String, Data)] = []

    override class func canInit(with request: URLRequest) -> Bool { true }
    override class func canonicalRequest(for request: URLRequest) -> URLRequest { request }
    override func startLoading() {
        var body = request.httpBody ?? Data()
        if let stream = request.httpBodyStream {
            stream.open()
            var buf = [UInt8](repeating: 0, count: 65536)
            while stream.hasBytesAvailable { let n = stream.read(&buf, maxLength: buf.count); if n <= 0 { break }; body += buf[0..<n] }
            stream.close()
        }
        Stub.sent.append((request.value(forHTTPHeaderField: "Content-Type") ?? "", body))
        let (status, headers, data) = Stub.answer
        let response = HTTPURLResponse(url: request.url!, statusCode: status, httpVersion: "HTTP/1.1", headerFields: headers)!
        client?.urlProtocol(self, didReceive: response, cacheStoragePolicy: .notAllowed)
        client?.urlProtocol(self, didLoad: data)
        client?.urlProtocolDidFinishLoading(self)
    }
    override func stopLoading() {}
}

final class YafgateTests: XCTestCase {
    let v = try! Vectors()

    func client(secret: String = "s3cret-s3cret-s3cret", verify: Bool = false, encoding: YafgateEncoding = .form) -> YafgateClient {
        let config = URLSessionConfiguration.ephemeral
        config.protocolClasses = [Stub.self]
        var o = YafgateClient.Options(url: URL(string: "http://gateway.test/")!, appid: "h5_app_id", secret: secret)
        o.session = URLSession(configuration: config)
        o.verifyAnswers = verify
        o.encoding = encoding
        o.uniqueId = "dev-1"
        return YafgateClient(o)
    }

    func testMd5() {
        for c in v.list("md5") { XCTAssertEqual(Yafgate.md5Hex(Data((c["input"] as! String).utf8)), c["md5"] as? String) }
    }

    func testGoldenAndBackOffice() {
        let g = v.section("golden")
        XCTAssertEqual(Yafgate.sign(g["data"] as! String, secret: g["secret"] as! String), g["sign"] as? String)
        let office = v.section("back_office")
        for c in v.cases("back_office") {
            // Swift dictionaries keep no order: sign the vector's own bytes.
            XCTAssertEqual(Yafgate.sign(c["data"] as! String, secret: office["secret"] as! String), c["sign"] as? String)
            let again = try! JSONSerialization.jsonObject(with: Yafgate.serialise(c["params"]!)) as! NSDictionary
            XCTAssertEqual(again, c["params"] as! NSDictionary)
        }
    }

    func testSerialisation() throws {
        for c in v.cases("serialisation") {
            let bytes = try Yafgate.serialise(c["value"]!)
            XCTAssertEqual(try JSONSerialization.jsonObject(with: bytes) as! NSDictionary, c["value"] as! NSDictionary)
            if c["swift_exact"] as? Bool == true { XCTAssertEqual(String(decoding: bytes, as: UTF8.self), c["json"] as? String) }
        }
    }

    func testPercentEncodingAndAnswers() {
        for c in v.cases("percent_encoding") { XCTAssertEqual(Yafgate.percentEncode(c["text"] as! String), c["encoded"] as? String) }
        let secret = v.section("answers")["secret"] as! String
        for c in v.cases("answers") {
            XCTAssertEqual(Yafgate.verifyAnswer(Data((c["body"] as! String).utf8), signature: c["sign"] as? String, secret: secret),
                           c["verifies"] as? Bool)
        }
    }

    func testBodiesCarryTheSignedBytes() async throws {
        let params = v.section("body_params")["params"] as! [String: Any]
        Stub.answer = (200, [:], Data(#"{"code":200,"msg":"success","data":{}}"#.utf8))
        for encoding in [YafgateEncoding.form, .json, .multipart] {
            let r = try await client(encoding: encoding).call("user.edit", params)
            XCTAssertEqual(r.kind, .ok)
            let (type, body) = Stub.sent.last!
            let text = String(decoding: body, as: UTF8.self)
            switch encoding {
            case .form:
                XCTAssertEqual(text, "data=\(Yafgate.percentEncode(r.request.data))&sign=\(r.request.sign)")
                XCTAssertFalse(text.contains("+"))
            case .json:
                let sent = try JSONSerialization.jsonObject(with: body) as! [String: String]
                XCTAssertEqual(sent["data"], r.request.data)
            case .multipart:
                XCTAssertTrue(type.hasPrefix("multipart/form-data; boundary="))
                XCTAssertTrue(text.contains("name=\"data\"\r\n\r\n\(r.request.data)\r\n"))
            }
            XCTAssertEqual(r.request.sign, Yafgate.sign(r.request.data, secret: "s3cret-s3cret-s3cret"))
            let parsed = try JSONSerialization.jsonObject(with: Data(r.request.data.utf8)) as! [String: Any]
            for (k, value) in params { XCTAssertEqual(parsed[k] as? NSObject, value as? NSObject, k) }
        }
    }

    func testTokensAndKinds() async throws {
        let api = client()
        Stub.answer = (200, [:], Data(#"{"code":200,"msg":"登录成功","data":{"token":"tok-1"}}"#.utf8))
        _ = try await api.call("user.login", ["mobile": "13800000000"])
        XCTAssertEqual(api.token, "tok-1")
        for code in [601, 602, 603, 606] {
            api.token = "tok-1"
            Stub.answer = (200, [:], Data(#"{"code":\#(code),"msg":"x"}"#.utf8))
            let r = try await api.call("user.detail")
            XCTAssertEqual([r.kind.rawValue, String(r.code), api.token], ["refused", String(code), ""])
        }
        Stub.answer = (413, [:], Data(#"{"error":"Payload Too Large"}"#.utf8))
        let http = try await api.call("system.ping")
        XCTAssertEqual([http.kind.rawValue, String(http.code)], ["http", "413"])

        let secret = v.section("answers")["secret"] as! String
        for c in v.cases("answers") {
            let headers = (c["sign"] as? String).map { ["X-Yafgate-Sign": $0] } ?? [:]
            Stub.answer = (200, headers, Data((c["body"] as! String).utf8))
            let r = try await client(secret: secret, verify: true).call("system.ping")
            XCTAssertEqual(r.kind, c["verifies"] as! Bool ? .ok : .tampered, c["name"] as! String)
        }
    }
}
