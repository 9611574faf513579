-- Accounts (seed 003 §2.5–2.12, DESIGN §4): users and the SMS send log.

CREATE TABLE users (
    id              BIGSERIAL   PRIMARY KEY,
    -- Public identifier handed to clients instead of the id or mobile.
    open_id         CHAR(32)    NOT NULL UNIQUE,
    mobile          VARCHAR(11) NOT NULL UNIQUE,
    nickname        VARCHAR(50) NOT NULL DEFAULT '',
    headimg         VARCHAR(255) NOT NULL DEFAULT '',
    intro           VARCHAR(255) NOT NULL DEFAULT '',
    -- argon2id PHC string; never MD5.
    password_hash   TEXT        NOT NULL,
    -- 1 normal, 2 locked (by ops), 3 cancelled.
    status          SMALLINT    NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3)),
    reg_platform    SMALLINT    NOT NULL CHECK (reg_platform BETWEEN 1 AND 4),
    reg_channel     VARCHAR(64) NOT NULL DEFAULT '',
    reg_app_v       VARCHAR(32) NOT NULL DEFAULT '',
    -- Sessions issued before the last password change or reset answer 606.
    pwd_changed_at  TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every SMS send attempt, delivered or not. The code itself is never stored.
CREATE TABLE sms_log (
    id          BIGSERIAL   PRIMARY KEY,
    mobile      VARCHAR(11) NOT NULL,
    sms_key     VARCHAR(32) NOT NULL,
    ip          INET        NOT NULL,
    driver      VARCHAR(16) NOT NULL,
    -- 1 delivered, 2 delivery failed.
    status      SMALLINT    NOT NULL CHECK (status IN (1, 2)),
    error       TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sms_log_mobile_time ON sms_log (mobile, created_at DESC);

-- Mobiles that never receive SMS (ops maintain it; config has a list too).
CREATE TABLE sms_blacklist (
    mobile      VARCHAR(11) PRIMARY KEY,
    reason      TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
