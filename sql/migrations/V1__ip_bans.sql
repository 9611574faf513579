-- Manual IP ban list (DESIGN §7): addresses or CIDR blocks refused with
-- code 510 until `until_at` (NULL: until removed). Ops insert rows here;
-- the gateway also reads the config file's list.
CREATE TABLE ip_bans (
    id          BIGSERIAL PRIMARY KEY,
    net         CIDR        NOT NULL UNIQUE,
    reason      TEXT        NOT NULL DEFAULT '',
    until_at    TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
