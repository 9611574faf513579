<?php
// A router for `php -S` that forwards a call to the gateway at $UPSTREAM
// and changes its answer as $CHANGE says ('byte', 'strip' or 'none'), so
// clients/php/tests/run.php can show the signer reporting tampering.
// PHP has already parsed the multipart body into $_POST: pass its fields on
// as a form.
$context = stream_context_create(['http' => [
    'method' => 'POST',
    'header' => "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n",
    'content' => http_build_query(['data' => $_POST['data'] ?? '', 'sign' => $_POST['sign'] ?? '']),
    'ignore_errors' => true,
]]);
$body = file_get_contents(getenv('UPSTREAM'), false, $context);
$change = getenv('CHANGE');
foreach ($http_response_header as $line) {
    [$name] = explode(':', $line, 2);
    $name = strtolower($name);
    if (strpos($name, 'x-yafgate-') === 0 && !($change === 'strip' && $name === 'x-yafgate-sign')) {
        header($line);
    }
}
header('Content-Type: application/json; charset=utf-8');
echo $change === 'byte' ? str_replace('"code":200', '"code":201', $body) : $body;
