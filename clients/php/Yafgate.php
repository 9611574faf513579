<?php
/**
 * yafgate PHP signer: one file, php-cli only (no curl). It signs exactly as
 * upstream Yaf-Server's back-office client does: data is
 * json_encode($params, JSON_UNESCAPED_UNICODE) (so `/` is written `\/`),
 * sign is upper(md5(data . secret)), and both go as a multipart form post
 * (docs/protocol.md §2, docs/clients.md). It verifies signed answers
 * (docs/protocol.md §4.1) when asked, and returns every outcome as an array
 * with a kind and a code; it never throws for a refusal.
 */
final class Yafgate
{
    /** @var string the session token kept after a login */
    public $token = '';

    private $url;
    private $appid;
    private $secret;
    private $options;

    /**
     * $options: platform [5], v ['1.0.0'], device (array of unique_id,
     * app_v, channel, device_token, for app and H5 appids), request_no
     * [true when platform is 5], verify_answers [false], timeout [10].
     */
    public function __construct(string $url, string $appid, string $secret, array $options = [])
    {
        $this->url = $url;
        $this->appid = $appid;
        $this->secret = $secret;
        $this->options = $options + ['platform' => 5, 'v' => '1.0.0', 'device' => [], 'verify_answers' => false, 'timeout' => 10];
        if (!isset($this->options['request_no'])) {
            $this->options['request_no'] = $this->options['platform'] === 5;
        }
    }

    /** The data text of $params, as upstream writes it. */
    public static function encode(array $params): string
    {
        return json_encode($params, JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }

    /** upper(hex(md5(data . secret))) over the exact bytes. */
    public static function sign(string $data, string $secret): string
    {
        return strtoupper(md5($data . $secret));
    }

    /** Whether an answer's X-Yafgate-Sign matches its body bytes. */
    public static function verifyAnswer(string $body, ?string $signature, string $secret): bool
    {
        return is_string($signature) && hash_equals(self::sign($body, $secret), strtoupper($signature));
    }

    /** The fixed parameters, in upstream's order, then the device ones. */
    public function fixed(string $method): array
    {
        $o = $this->options;
        $fixed = ['v' => $o['v'], 'appid' => $this->appid, 'platform' => $o['platform']];
        if ($o['request_no']) {
            $fixed['request_no'] = 'Req-' . date('YmdHis') . bin2hex(random_bytes(5));
        }
        $fixed['timestamp'] = time();
        $fixed['method'] = $method;
        return $fixed + $o['device'];
    }

    /**
     * Call $method. $files maps part names to file paths (system.upload
     * reads `image`). The answer: ok, kind ('ok', 'refused', 'http',
     * 'network', 'malformed', 'tampered'), code, msg, data, debug,
     * answer_sign ('verified', 'tampered', 'unverifiable', 'unchecked'),
     * request (data, length, md5, sign), status, body.
     */
    public function call(string $method, array $params = [], array $files = []): array
    {
        $fields = $this->fixed($method);
        if ($this->token !== '') {
            $fields['token'] = $this->token;
        }
        $data = self::encode(array_merge($fields, $params));
        $sign = self::sign($data, $this->secret);
        $request = ['data' => $data, 'length' => strlen($data), 'md5' => strtoupper(md5($data)), 'sign' => $sign];
        [$status, $headers, $body] = $this->post($data, $sign, $files);
        $answer = ['request' => $request, 'status' => $status, 'body' => $body, 'code' => 0, 'msg' => '', 'data' => null, 'debug' => null];
        if ($status === 0) {
            return ['ok' => false, 'kind' => 'network', 'answer_sign' => 'unchecked', 'msg' => $body] + $answer;
        }
        if ($status !== 200) {
            return ['ok' => false, 'kind' => 'http', 'answer_sign' => 'unchecked', 'code' => $status, 'msg' => $body] + $answer;
        }
        $env = json_decode($body, true);
        $verdict = $this->verdict($body, $headers, $env);
        if ($verdict === 'tampered') {
            return ['ok' => false, 'kind' => 'tampered', 'answer_sign' => $verdict, 'msg' => 'the answer signature is missing or wrong'] + $answer;
        }
        if (!is_array($env) || !is_int($env['code'] ?? null)) {
            return ['ok' => false, 'kind' => 'malformed', 'answer_sign' => $verdict] + $answer;
        }
        $this->keepToken($method, $env);
        $ok = $env['code'] === 200;
        return ['ok' => $ok, 'kind' => $ok ? 'ok' : 'refused', 'answer_sign' => $verdict, 'code' => $env['code'],
            'msg' => $env['msg'] ?? '', 'data' => $env['data'] ?? null, 'debug' => $env['debug'] ?? null] + $answer;
    }

    private function verdict(string $body, array $headers, $env): string
    {
        if (!$this->options['verify_answers']) {
            return 'unchecked';
        }
        if (self::verifyAnswer($body, $headers['x-yafgate-sign'] ?? null, $this->secret)) {
            return 'verified';
        }
        // A refused signature is signed with the appid's first secret,
        // which a client with a wrong secret cannot verify either.
        if (is_array($env) && ($env['code'] ?? null) === 403 && ($env['msg'] ?? '') === '签名错误') {
            return 'unverifiable';
        }
        return 'tampered';
    }

    private function keepToken(string $method, array $env): void
    {
        if ($env['code'] === 200 && is_string($env['data']['token'] ?? null)) {
            $this->token = $env['data']['token'];
        } elseif (($env['code'] === 200 && $method === 'user.logout') || in_array($env['code'], [601, 602, 603, 606], true)) {
            $this->token = '';
        }
    }

    /** POST data and sign (and files) as multipart/form-data: [status, headers, body]. */
    private function post(string $data, string $sign, array $files): array
    {
        $boundary = 'yafgate' . bin2hex(random_bytes(12));
        $parts = '';
        foreach (['data' => $data, 'sign' => $sign] as $name => $value) {
            $parts .= "--$boundary\r\nContent-Disposition: form-data; name=\"$name\"\r\n\r\n$value\r\n";
        }
        foreach ($files as $name => $path) {
            $file = basename($path);
            $parts .= "--$boundary\r\nContent-Disposition: form-data; name=\"$name\"; filename=\"$file\"\r\n"
                . "Content-Type: application/octet-stream\r\n\r\n" . file_get_contents($path) . "\r\n";
        }
        $parts .= "--$boundary--\r\n";
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => "Content-Type: multipart/form-data; boundary=$boundary\r\nConnection: close\r\n",
            'content' => $parts,
            'ignore_errors' => true,
            'timeout' => $this->options['timeout'],
        ]]);
        $body = @file_get_contents($this->url, false, $context);
        if ($body === false) {
            return [0, [], error_get_last()['message'] ?? 'no answer'];
        }
        $status = 0;
        $headers = [];
        foreach ($http_response_header ?? [] as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
                [$status, $headers] = [(int) $m[1], []];
            } elseif (strpos($line, ':') !== false) {
                [$k, $v] = explode(':', $line, 2);
                $headers[strtolower(trim($k))] = trim($v);
            }
        }
        return [$status, $headers, $body];
    }
}
