// yafgate Swift client: one file for iOS 15+ and macOS 12+ (CryptoKit,
// URLSession async), no dependencies; copy it into an app or use the
// package. It fills the fixed parameters (docs/protocol.md §3), serialises
// data once and signs and sends exactly those bytes (§2, docs/clients.md),
// keeps the session token, verifies signed answers (§4.1) and returns every
// outcome as a typed result, with the kinds of clients/js/yafgate.mjs.
// Not compiled on the build machine (no Swift toolchain there): see
// docs/clients.md §8.

import CryptoKit
import Foundation

public enum YafgateEncoding: String { case form, json, multipart }

/// What came of a call: ok, refused (an envelope code other than 200),
/// http (a transport refusal, code = HTTP status), network (no answer,
/// code 0), malformed (not an envelope), tampered (a signed answer whose
/// signature is missing or wrong).
public enum YafgateKind: String { case ok, refused, http, network, malformed, tampered }

public enum YafgateVerdict: String { case verified, tampered, unverifiable, unchecked }

public enum YafgateError: Error { case notJSON }

/// A file part of a multipart call, sent unsigned (system.upload reads "image").
public struct YafgateFile {
    public var part: String, filename: String, contentType: String, content: Data
    public init(part: String, filename: String, contentType: String, content: Data) {
        self.part = part; self.filename = filename; self.contentType = contentType; self.content = content
    }
}

/// A request as built: the data text serialised once, its UTF-8 length and
/// MD5 (to compare with a 403's debug, docs/clients.md §3), the sign, the body.
public struct YafgateRequest {
    public let method: String, data: String, length: Int, md5: String, sign: String
    public let encoding: YafgateEncoding, contentType: String, body: Data
}

public struct YafgateResult {
    public let kind: YafgateKind
    public let code: Int
    public let msg: String?
    public var data: [String: Any]? = nil
    public var debug: [String: Any]? = nil
    public var requestId: String? = nil
    /// nil for kinds http and network.
    public var verdict: YafgateVerdict? = nil
    public var slot: String? = nil
    public var reason: String? = nil
    public let ms: Double
    public let request: YafgateRequest
    public var status = 0
    public var text: String? = nil
    public var ok: Bool { kind == .ok }
}

public enum Yafgate {
    /// The codes after which a token is of no more use (docs/protocol.md §5).
    public static let sessionEnded: Set<Int> = [601, 602, 603, 606]

    /// The characters a form value keeps; every other UTF-8 byte is %XX,
    /// so `+` travels as %2B (clients/vectors.json "percent_encoding").
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func md5Hex(_ bytes: Data) -> String {
        Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// upper(hex(md5(data ++ secret))) over the exact bytes (docs/protocol.md §2).
    public static func sign(_ data: Data, secret: String) -> String {
        md5Hex(data + Data(secret.utf8)).uppercased()
    }

    public static func sign(_ data: String, secret: String) -> String {
        sign(Data(data.utf8), secret: secret)
    }

    /// Whether X-Yafgate-Sign (either case) matches the body bytes (docs/protocol.md §4.1).
    public static func verifyAnswer(_ body: Data, signature: String?, secret: String) -> Bool {
        guard let signature = signature else { return false }
        return signature.uppercased() == sign(body, secret: secret)
    }

    public static func percentEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// The JSON bytes of an object, once: `/` unescaped, keys sorted (any
    /// order verifies; sorted keeps it stable).
    public static func serialise(_ object: Any) throws -> Data {
        guard JSONSerialization.isValidJSONObject(object) else { throw YafgateError.notJSON }
        return try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys])
    }
}

public final class YafgateClient {
    /// The options of clients/js/yafgate.mjs, with the same defaults.
    public struct Options {
        public var url: URL, appid: String, secret: String
        public var platform = 3, uniqueId = "", appV = "", channel = "", deviceToken = ""
        public var encoding = YafgateEncoding.form, verifyAnswers = false, v = "1.0.0"
        public var session = URLSession.shared
        public var now: () -> Date = { Date() }
        public init(url: URL, appid: String, secret: String) { self.url = url; self.appid = appid; self.secret = secret }
    }

    public let options: Options
    private let lock = NSLock()
    private var kept = ""

    public init(_ options: Options, token: String = "") { self.options = options; kept = token }

    /// The session token sent with each call; "" when there is none.
    public var token: String {
        get { lock.lock(); defer { lock.unlock() }; return kept }
        set { lock.lock(); kept = newValue; lock.unlock() }
    }

    /// The fixed parameters of a call (docs/protocol.md §3).
    public func fixed(_ method: String, v: String? = nil) -> [String: Any] {
        let o = options
        return ["method": method, "v": v ?? o.v, "appid": o.appid,
                "timestamp": String(Int(o.now().timeIntervalSince1970)),
                "unique_id": o.uniqueId, "app_v": o.appV, "platform": o.platform,
                "channel": o.channel, "device_token": o.deviceToken]
    }

    /// The request a call makes, not sent. Throws only for params JSON cannot hold.
    public func prepare(_ method: String, _ params: [String: Any] = [:], v: String? = nil, files: [YafgateFile] = []) throws -> YafgateRequest {
        var fields = fixed(method, v: v)
        let t = token
        if !t.isEmpty { fields["token"] = t }
        fields.merge(params) { _, given in given }
        let bytes = try Yafgate.serialise(fields)
        let data = String(decoding: bytes, as: UTF8.self)
        let sign = Yafgate.sign(bytes, secret: options.secret)
        let encoding = files.isEmpty ? options.encoding : .multipart
        let body: Data
        let type: String
        switch encoding {
        case .json:
            body = try Yafgate.serialise(["data": data, "sign": sign])
            type = "application/json"
        case .multipart:
            let boundary = "yafgate" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            body = multipart(boundary, bytes, sign, files)
            type = "multipart/form-data; boundary=\(boundary)"
        case .form:
            body = Data("data=\(Yafgate.percentEncode(data))&sign=\(sign)".utf8)
            type = "application/x-www-form-urlencoded"
        }
        return YafgateRequest(method: method, data: data, length: bytes.count, md5: Yafgate.md5Hex(bytes).uppercased(),
                              sign: sign, encoding: encoding, contentType: type, body: body)
    }

    /// Calls method with params. Never throws for a refusal or a failed
    /// transport; only for params JSON cannot hold.
    public func call(_ method: String, _ params: [String: Any] = [:], v: String? = nil, files: [YafgateFile] = []) async throws -> YafgateResult {
        let request = try prepare(method, params, v: v, files: files)
        var req = URLRequest(url: options.url)
        req.httpMethod = "POST"
        req.setValue(request.contentType, forHTTPHeaderField: "Content-Type")
        req.httpBody = request.body
        let started = Date()
        let ms = { Date().timeIntervalSince(started) * 1000 }
        let answer: (Data, URLResponse)
        do {
            answer = try await options.session.data(for: req)
        } catch {
            return YafgateResult(kind: .network, code: 0, msg: error.localizedDescription, ms: ms(), request: request)
        }
        let (body, response) = answer
        guard let http = response as? HTTPURLResponse else {
            return YafgateResult(kind: .network, code: 0, msg: "not an HTTP answer", ms: ms(), request: request)
        }
        let text = String(decoding: body, as: UTF8.self)
        let requestId = http.value(forHTTPHeaderField: "X-Request-Id")
        if http.statusCode != 200 {
            return YafgateResult(kind: .http, code: http.statusCode, msg: text, requestId: requestId, ms: ms(),
                                 request: request, status: http.statusCode, text: text)
        }
        var (verdict, reason) = checkAnswer(body, http)
        let slot = http.value(forHTTPHeaderField: "X-Yafgate-Sign-Slot")
        let env = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let code = (env?["code"] as? NSNumber).flatMap { CFGetTypeID($0) == CFBooleanGetTypeID() ? nil : $0.intValue }
        func result(_ kind: YafgateKind, _ code: Int, _ msg: String?) -> YafgateResult {
            YafgateResult(kind: kind, code: code, msg: msg, data: env?["data"] as? [String: Any], debug: env?["debug"] as? [String: Any],
                          requestId: requestId, verdict: verdict, slot: slot, reason: reason, ms: ms(), request: request,
                          status: 200, text: text)
        }
        if verdict == .tampered && code == 403 && env?["msg"] as? String == "签名错误" {
            // A refused signature is signed with the appid's first secret:
            // with a wrong secret here, that cannot verify either.
            verdict = .unverifiable
            reason = "a refused signature: this client's secret is probably not the appid's"
        } else if verdict == .tampered {
            return result(.tampered, code ?? 0, reason)
        }
        guard let envelope = env, let c = code,
              envelope["data"] == nil || envelope["data"] is [String: Any] else {
            return result(.malformed, 0, "the answer is not an envelope")
        }
        keepToken(method, c, envelope["data"] as? [String: Any])
        return result(c == 200 ? .ok : .refused, c, envelope["msg"] as? String)
    }

    func checkAnswer(_ body: Data, _ http: HTTPURLResponse) -> (YafgateVerdict, String?) {
        guard options.verifyAnswers else { return (.unchecked, nil) }
        guard let signature = http.value(forHTTPHeaderField: "X-Yafgate-Sign") else {
            return (.tampered, "the answer carries no X-Yafgate-Sign")
        }
        if !Yafgate.verifyAnswer(body, signature: signature, secret: options.secret) {
            return (.tampered, "X-Yafgate-Sign does not match the answer")
        }
        return (.verified, nil)
    }

    /// Keep a login's token; forget it on logout and when the session ended.
    func keepToken(_ method: String, _ code: Int, _ data: [String: Any]?) {
        if code == 200, let t = data?["token"] as? String {
            token = t
        } else if (code == 200 && method == "user.logout") || Yafgate.sessionEnded.contains(code) {
            token = ""
        }
    }

    private func multipart(_ boundary: String, _ data: Data, _ sign: String, _ files: [YafgateFile]) -> Data {
        var out = Data()
        let part = { (head: String, content: Data) in
            out += Data("--\(boundary)\r\nContent-Disposition: \(head)\r\n\r\n".utf8) + content + Data("\r\n".utf8)
        }
        part("form-data; name=\"data\"", data)
        part("form-data; name=\"sign\"", Data(sign.utf8))
        for f in files {
            part("form-data; name=\"\(quoted(f.part))\"; filename=\"\(quoted(f.filename))\"\r\nContent-Type: \(f.contentType)", f.content)
        }
        return out + Data("--\(boundary)--\r\n".utf8)
    }

    private func quoted(_ name: String) -> String {
        name.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
