-- Identity for the mini-programs (docs/protocol.md §8.9–§8.12): accounts
-- without a password (WeChat-only, SMS-only) or without a mobile until one
-- is bound, WeChat identities per mini-program appid, roles per product,
-- and the device tokens pushes go to.

-- NULL is "none": no argon2 check runs against it (§8.9). UNIQUE (mobile)
-- still holds for the mobiles that exist; PostgreSQL lets NULLs repeat.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users ALTER COLUMN mobile DROP NOT NULL;
-- Platforms 5 (server) and 6 (WeChat mini-program), §3.2.
ALTER TABLE users DROP CONSTRAINT users_reg_platform_check;
ALTER TABLE users ADD CONSTRAINT users_reg_platform_check CHECK (reg_platform BETWEEN 1 AND 6);
-- A placeholder account merged onto an existing one by user.mobile.bind
-- (§8.10) keeps its row, status 3 (cancelled), and points here.
ALTER TABLE users ADD COLUMN merged_into BIGINT REFERENCES users (id) ON DELETE SET NULL;

-- One WeChat user of one mini-program (our appid, e.g. mp_app_id) and the
-- account it logs into.
CREATE TABLE wechat_identities (
    id          BIGSERIAL    PRIMARY KEY,
    appid       VARCHAR(64)  NOT NULL,
    openid      VARCHAR(64)  NOT NULL,
    unionid     VARCHAR(64),
    user_id     BIGINT       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    UNIQUE (appid, openid)
);
CREATE INDEX wechat_identities_user ON wechat_identities (user_id);

-- Roles per product as data (§8.11): publisher / customer in home services,
-- buyer / consultant in consulting, supplier, merchant.
CREATE TABLE user_roles (
    user_id     BIGINT       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product     VARCHAR(32)  NOT NULL,
    role        VARCHAR(32)  NOT NULL,
    granted_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product, role)
);

-- The push channel (§8.12): the device_token an app sent when its user
-- logged in. A token belongs to the last user who logged in with it.
CREATE TABLE device_tokens (
    appid         VARCHAR(64)  NOT NULL,
    device_token  VARCHAR(255) NOT NULL,
    platform      SMALLINT     NOT NULL,
    user_id       BIGINT       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (appid, device_token)
);
CREATE INDEX device_tokens_user ON device_tokens (user_id, updated_at DESC);
