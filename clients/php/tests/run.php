<?php
// Tests of clients/php/Yafgate.php: upstream's published vectors, the seed's
// golden vector and the serialisation cases of clients/vectors.json built
// with the signer's own json_encode, then, when YAFGATE_URL is set
// (tests/api/clients.rs sets it), calls to a live gateway. Exit status 1
// when any check fails.
require __DIR__ . '/../Yafgate.php';

$passed = 0;
$failed = 0;
function check(string $what, bool $ok, $detail = ''): void
{
    global $passed, $failed;
    $ok ? $passed++ : $failed++;
    echo ($ok ? 'ok   ' : 'FAIL ') . $what . ($ok ? '' : ': ' . json_encode($detail, JSON_UNESCAPED_UNICODE)) . "\n";
}

// The vectors shared by every kit.
$vectors = json_decode(file_get_contents(__DIR__ . '/../../vectors.json'), true, 512, JSON_THROW_ON_ERROR);

// MD5 itself: RFC 1321's suite and a UTF-8 text.
foreach ($vectors['md5'] as $case) {
    check('md5 of ' . json_encode($case['input'], JSON_UNESCAPED_UNICODE), md5($case['input']) === $case['md5']);
}

// Upstream's back-office document: secret 16b36c2c513de50126144bb8085260ba.
$office = $vectors['back_office'];
check('upstream vectors are sms.verify and sms.send', array_column($office['cases'], 'name') === ['sms.verify', 'sms.send']);
foreach ($office['cases'] as $case) {
    check("upstream vector {$case['name']}", Yafgate::sign(Yafgate::encode($case['params']), $office['secret']) === $case['sign']
        && Yafgate::encode($case['params']) === $case['data'], Yafgate::encode($case['params']));
}

// The seed's golden vector (docs/protocol.md §2).
$golden = $vectors['golden'];
$goldenData = $golden['data'];
check('golden data bytes', Yafgate::encode(json_decode($goldenData, true)) === $goldenData, Yafgate::encode(json_decode($goldenData, true)));
check('golden sign', Yafgate::sign($goldenData, $golden['secret']) === $golden['sign'] && $golden['sign'] === '01E62683A5D2B7CD901F5F98C08F10EF');

// What upstream's encoding does to text: `/` escaped, Chinese kept, and the
// other serialisation cases PHP writes in its own way.
$phpCases = array_filter($vectors['serialisation']['cases'], function ($c) { return isset($c['php']); });
check('serialisation cases for PHP', count($phpCases) >= 8, count($phpCases));
foreach ($phpCases as $case) {
    check("serialisation: {$case['name']}", Yafgate::encode($case['value']) === $case['php'], Yafgate::encode($case['value']));
}
check('slashes escaped, Unicode kept', Yafgate::encode(['u' => 'a/b', 'n' => '中文']) === '{"u":"a\/b","n":"中文"}');

// The form encoding of the Java and Swift kits is PHP's rawurlencode.
foreach ($vectors['percent_encoding']['cases'] as $case) {
    check('percent-encoding of ' . json_encode($case['text'], JSON_UNESCAPED_UNICODE), rawurlencode($case['text']) === $case['encoded'], rawurlencode($case['text']));
}

// The PHP snippet of docs/clients.md §10 prints the output stated for it.
$doc = file_get_contents(__DIR__ . '/../../../docs/clients.md');
if (preg_match('/<!-- snippet:php -->\n```php\n(.*?)```\n\nOutput: `([0-9A-F]{32})`/s', $doc, $m)) {
    $out = shell_exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($m[1]));
    check('docs/clients.md snippet prints what it states', trim((string) $out) === $m[2] && $m[2] === '01E62683A5D2B7CD901F5F98C08F10EF', $out);
} else {
    check('docs/clients.md has the marked PHP snippet and its output', false);
}

// Answer signatures.
$answers = $vectors['answers'];
foreach ($answers['cases'] as $case) {
    check("answer {$case['name']}: " . ($case['verifies'] ? 'verifies' : 'does not verify'),
        Yafgate::verifyAnswer($case['body'], $case['sign'], $answers['secret']) === $case['verifies']);
}
check('answer cases cover a changed body and a missing signature', count($answers['cases']) === 4
    && in_array(null, array_column($answers['cases'], 'sign'), true));

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
