-- The one round trip of a signed call: see gate.rs and docs/protocol.md §6.
-- ARGV: prefix, now, upto (1 ban, 2 limits, 3 claims, 4 session), ip,
-- then #limits and (key, max, per_secs) each, then the request_no and the
-- replay claims as (key or '', ttl), then the token (or '') and, with a
-- token, class, app_ttl, web_ttl, #user_limits and (before, after, max,
-- per_secs) each. Replies start with a tag: ban, limited, reqno, replay,
-- pass, 601, 603, 606, user-limited, user; the full user reply comes as
-- a JSON array text, the others as arrays.
local prefix, now, upto = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

-- Step 14: the automatic ban.
local till = tonumber(redis.call('GET', prefix .. 'ban:{' .. ARGV[4] .. '}') or '')
if till and till > now then return {'ban', tostring(till)} end
if upto < 2 then return {'pass'} end

-- Step 19: fixed-window counters, stopping at the first over its limit.
local i = 5
for _ = 1, tonumber(ARGV[i]) do
  local key = prefix .. ARGV[i + 1]
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[i + 3]) end
  if n > tonumber(ARGV[i + 2]) then return {'limited'} end
  i = i + 3
end
i = i + 1
if upto < 3 then return {'pass'} end

-- Steps 20 and 20a: the request_no, then the replay guard.
for _, tag in ipairs({'reqno', 'replay'}) do
  if ARGV[i] ~= '' and not redis.call('SET', prefix .. ARGV[i], 1, 'NX', 'EX', ARGV[i + 1]) then
    return {tag}
  end
  i = i + 2
end
if upto < 4 or ARGV[i] == '' then return {'pass'} end

-- Step 21: the session, of the caller's class; slid when valid.
local token, class, app_ttl, web_ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
i = i + 4
local key = prefix .. 'sess:' .. token
local s = redis.call('HMGET', key, 'uid', 'class', 'pwdv', 'state', 'platform')
if not s[1] or s[2] ~= class then return {'601'} end
if s[4] == 'displaced' then return {'603'} end
local pwdv = redis.call('GET', prefix .. 'pwdv:{' .. s[1] .. '}') or '0'
if pwdv ~= s[3] then return {'606'} end
local ttl = web_ttl
local c = string.sub(s[2], 1, 1)
if c == 'a' or c == 'm' then ttl = app_ttl end
redis.call('EXPIRE', key, ttl)
redis.call('EXPIRE', prefix .. 'ucur:{' .. s[1] .. '}:' .. s[2], ttl)

-- The profile; without it the gateway reads the row and counts 21a itself.
local p = redis.call('HMGET', prefix .. 'prof:{' .. s[1] .. '}',
  'status', 'open_id', 'mobile', 'nickname', 'headimg', 'intro', 'created_at')
for k = 1, 7 do
  if not p[k] then return {'user', s[1], s[5]} end
end

-- Step 21a: the user's limits, for an account that may act.
if p[1] ~= '2' and p[1] ~= '3' then
  for _ = 1, tonumber(ARGV[i]) do
    local ukey = prefix .. ARGV[i + 1] .. s[1] .. ARGV[i + 2]
    local n = redis.call('INCR', ukey)
    if n == 1 then redis.call('EXPIRE', ukey, ARGV[i + 4]) end
    if n > tonumber(ARGV[i + 3]) then return {'user-limited', s[1]} end
    i = i + 4
  end
end
-- The common answer as one JSON text: one bulk string is far cheaper for
-- the gateway to read than ten.
return cjson.encode({'user', s[1], s[5], p[1], p[2], p[3], p[4], p[5], p[6], p[7]})
