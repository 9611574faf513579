<?php
// Tests of clients/php/Yafgate.php: upstream's published vectors and the
// seed's golden vector built with the signer's own json_encode, then, when
// YAFGATE_URL is set (tests/api/clients.rs sets it), calls to a live
// gateway. Exit status 1 when any check fails.
require __DIR__ . '/../Yafgate.php';

$passed = 0;
$failed = 0;
function check(string $what, bool $ok, $detail = ''): void
{
    global $passed, $failed;
    $ok ? $passed++ : $failed++;
    echo ($ok ? 'ok   ' : 'FAIL ') . $what . ($ok ? '' : ': ' . json_encode($detail, JSON_UNESCAPED_UNICODE)) . "\n";
}

// Upstream's back-office document: secret 16b36c2c513de50126144bb8085260ba.
$secret = '16b36c2c513de50126144bb8085260ba';
$verify = ['v' => '1.0.0', 'appid' => 'admin_api_call', 'platform' => 5, 'request_no' => 'Req-2019042311170000000002',
    'timestamp' => 1555989441, 'method' => 'sms.verify', 'mobile' => '13812345678', 'key' => 'ADMIN_LOGIN_CODE', 'code' => '123456'];
$send = ['v' => '1.0.0', 'appid' => 'admin_api_call', 'platform' => 5, 'request_no' => 'Req-2019042311410000000001',
    'timestamp' => 1555990911, 'method' => 'sms.send', 'mobile' => '13812345678', 'key' => 'ADMIN_LOGIN_CODE'];
check('upstream vector sms.verify', Yafgate::sign(Yafgate::encode($verify), $secret) === 'BBE3B17A0CD4DD1A42B24BB35F1BF95A');
check('upstream vector sms.send', Yafgate::sign(Yafgate::encode($send), $secret) === '1939B1FC695C42025A87DB1661CF2FE3');

// The seed's golden vector (docs/protocol.md §2).
$golden = ['method' => 'user.login', 'v' => '1.0.0', 'appid' => 'ios_app_id', 'timestamp' => '1493898621',
    'unique_id' => '68f66b5b72b864dd389748bffe112f4f', 'username' => '18575202691', 'password' => '123456'];
$goldenData = '{"method":"user.login","v":"1.0.0","appid":"ios_app_id","timestamp":"1493898621","unique_id":"68f66b5b72b864dd389748bffe112f4f","username":"18575202691","password":"123456"}';
check('golden data bytes', Yafgate::encode($golden) === $goldenData, Yafgate::encode($golden));
check('golden sign', Yafgate::sign($goldenData, '7512100214f62d7de8ba01b281d6da02') === '01E62683A5D2B7CD901F5F98C08F10EF');

// What upstream's encoding does to text: `/` escaped, Chinese kept.
check('slashes escaped, Unicode kept', Yafgate::encode(['u' => 'a/b', 'n' => '中文']) === '{"u":"a\/b","n":"中文"}');

// The PHP snippet of docs/clients.md §7 prints the output stated for it.
$doc = file_get_contents(__DIR__ . '/../../../docs/clients.md');
if (preg_match('/<!-- snippet:php -->\n```php\n(.*?)```\n\nOutput: `([0-9A-F]{32})`/s', $doc, $m)) {
    $out = shell_exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($m[1]));
    check('docs/clients.md snippet prints what it states', trim((string) $out) === $m[2] && $m[2] === '01E62683A5D2B7CD901F5F98C08F10EF', $out);
} else {
    check('docs/clients.md has the marked PHP snippet and its output', false);
}

// Answer signatures.
$body = '{"code":200,"msg":"success","data":{"server_time":1}}';
$sig = Yafgate::sign($body, 'k-secret');
check('answer verifies', Yafgate::verifyAnswer($body, $sig, 'k-secret'));
check('answer verifies in lower case', Yafgate::verifyAnswer($body, strtolower($sig), 'k-secret'));
check('a changed answer does not', !Yafgate::verifyAnswer(str_replace('1}', '2}', $body), $sig, 'k-secret'));
check('a missing signature does not', !Yafgate::verifyAnswer($body, null, 'k-secret'));

/** `php -S` on a free port with tamper_proxy.php in front of $upstream: [process, url]. */
function tamperProxy(string $upstream, string $change): array
{
    $probe = stream_socket_server('tcp://127.0.0.1:0');
    $address = stream_socket_get_name($probe, false);
    fclose($probe);
    $env = ['UPSTREAM' => $upstream, 'CHANGE' => $change] + getenv();
    $cmd = [PHP_BINARY, '-S', $address, __DIR__ . '/tamper_proxy.php'];
    $proc = proc_open($cmd, [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, $env);
    $deadline = microtime(true) + 10;
    while (!($conn = @stream_socket_client("tcp://$address", $errno, $errstr, 1)) && microtime(true) < $deadline) {
        usleep(20000);
    }
    if ($conn) {
        fclose($conn);
    }
    return [$proc, "http://$address/"];
}

$url = getenv('YAFGATE_URL');
if ($url) {
    $appid = getenv('YAFGATE_SIGNED_APPID');
    $secret = getenv('YAFGATE_SIGNED_SECRET');
    $device = ['unique_id' => 'php-live-test', 'app_v' => '1.0.0', 'channel' => '', 'device_token' => ''];
    $options = ['platform' => 3, 'device' => $device, 'verify_answers' => true];
    $client = new Yafgate($url, $appid, $secret, $options);

    $r = $client->call('system.ping', ['note' => 'a/b 中文 + &']);
    check('live: ping with an escaped slash verifies', $r['kind'] === 'ok', $r);
    check('live: the data sent had \\/', strpos($r['request']['data'], 'a\/b') !== false, $r['request']);
    check('live: answer signature verified', $r['answer_sign'] === 'verified', $r);

    $r = $client->call('user.login', ['mobile' => getenv('YAFGATE_MOBILE'), 'login_type' => 2, 'code' => getenv('YAFGATE_PASSWORD')]);
    check('live: login', $r['kind'] === 'ok' && $client->token !== '', $r);
    $r = $client->call('user.detail');
    check('live: detail with the kept token', $r['kind'] === 'ok' && $r['data']['mobile'] === getenv('YAFGATE_MOBILE'), $r);
    $r = $client->call('user.logout');
    check('live: logout drops the token', $r['kind'] === 'ok' && $client->token === '', $r);

    $wrong = new Yafgate($url, $appid, 'not-the-secret-0000000000000000', $options);
    $r = $wrong->call('system.ping');
    check('live: wrong secret is 403', $r['kind'] === 'refused' && $r['code'] === 403, $r);
    check('live: debug shows the bytes received', ($r['debug']['data_md5'] ?? '') === $r['request']['md5']
        && ($r['debug']['data_length'] ?? 0) === $r['request']['length'], $r);
    check('live: the refusal is unverifiable, not tampered', $r['answer_sign'] === 'unverifiable', $r);

    $admin = new Yafgate($url, getenv('YAFGATE_PLAIN_APPID'), getenv('YAFGATE_PLAIN_SECRET'),
        ['platform' => 1, 'device' => $device]);
    $r = $admin->call('system.ping');
    check('live: an appid without signed answers is unchecked', $r['kind'] === 'ok' && $r['answer_sign'] === 'unchecked', $r);

    foreach (['byte' => 'tampered', 'strip' => 'tampered', 'none' => 'verified'] as $change => $want) {
        [$proxy, $proxyUrl] = tamperProxy($url, $change);
        $r = (new Yafgate($proxyUrl, $appid, $secret, $options))->call('system.ping');
        proc_terminate($proxy);
        proc_close($proxy);
        check("live: an answer through a proxy that changes '$change' is $want", $r['answer_sign'] === $want
            && ($want === 'verified') === ($r['kind'] === 'ok'), $r);
    }

    $down = new Yafgate('http://127.0.0.1:1/', $appid, $secret, $options + ['timeout' => 2]);
    $r = $down->call('system.ping');
    check('live: no gateway is a network result', $r['kind'] === 'network' && $r['code'] === 0, $r);
    echo "live tests: ran\n";
} else {
    echo "live tests: skipped (YAFGATE_URL is not set)\n";
}

echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
