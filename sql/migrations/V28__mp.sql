-- The user mini-program (seed 004, docs/protocol.md §23): operation
-- centres, the area tree with centroids, merchants placed on the earth
-- (cube + earthdistance, GiST-indexed), their voucher goods with stock,
-- orders with the seed's statuses and one redemption code per unit.

CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- An operation centre (运营中心) runs one or more mini-programs; a merchant
-- belongs to one. isOperSelf compares the merchant's with the caller's.
CREATE TABLE mp_opers (
    id    INTEGER      PRIMARY KEY,
    name  VARCHAR(100) NOT NULL,
    appid VARCHAR(64)  UNIQUE
);

-- Province (level 1), city (2), county/district (3), with the seed's
-- area_id (the administrative code) and a centroid for mp.area.by_gps.
CREATE TABLE mp_areas (
    id        SERIAL       PRIMARY KEY,
    area_id   INTEGER      NOT NULL UNIQUE,
    name      VARCHAR(50)  NOT NULL,
    parent_id INTEGER      NOT NULL DEFAULT 0,
    level     SMALLINT     NOT NULL CHECK (level BETWEEN 1 AND 3),
    -- The first letter of the name's pinyin, for mp.area.cities.
    initial   CHAR(1)      NOT NULL DEFAULT '#',
    hot       BOOLEAN      NOT NULL DEFAULT false,
    lng       DOUBLE PRECISION NOT NULL CHECK (lng BETWEEN -180 AND 180),
    lat       DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90)
);
CREATE INDEX mp_areas_parent ON mp_areas (parent_id, area_id);
CREATE INDEX mp_areas_earth ON mp_areas USING gist (ll_to_earth(lat, lng));

CREATE TABLE mp_merchant_categories (
    id     SERIAL       PRIMARY KEY,
    pid    INTEGER      NOT NULL DEFAULT 0,
    name   VARCHAR(50)  NOT NULL,
    icon   VARCHAR(255) NOT NULL DEFAULT '',
    -- 1 正常, 2 禁用 (only 1 is listed)
    status SMALLINT     NOT NULL DEFAULT 1 CHECK (status IN (1, 2)),
    sort   INTEGER      NOT NULL DEFAULT 0
);

CREATE TABLE mp_merchants (
    id                   BIGSERIAL     PRIMARY KEY,
    oper_id              INTEGER       NOT NULL REFERENCES mp_opers (id),
    merchant_category_id INTEGER       NOT NULL REFERENCES mp_merchant_categories (id),
    name                 VARCHAR(100)  NOT NULL,
    brand                VARCHAR(100)  NOT NULL DEFAULT '',
    -- 1 中国, 2 美国, 3 韩国, 4 香港
    region               SMALLINT      NOT NULL DEFAULT 1 CHECK (region BETWEEN 1 AND 4),
    address              VARCHAR(255)  NOT NULL DEFAULT '',
    province_id          INTEGER       NOT NULL REFERENCES mp_areas (area_id),
    city_id              INTEGER       NOT NULL REFERENCES mp_areas (area_id),
    area_id              INTEGER       NOT NULL REFERENCES mp_areas (area_id),
    lng                  DOUBLE PRECISION NOT NULL CHECK (lng BETWEEN -180 AND 180),
    lat                  DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
    open_time            TIME          NOT NULL DEFAULT '09:00',
    close_time           TIME          NOT NULL DEFAULT '21:00',
    logo                 VARCHAR(255)  NOT NULL DEFAULT '',
    desc_pic             VARCHAR(255)  NOT NULL DEFAULT '',
    "desc"               TEXT          NOT NULL DEFAULT '',
    contacter            VARCHAR(50)   NOT NULL DEFAULT '',
    contacter_phone      VARCHAR(20)   NOT NULL DEFAULT '',
    -- 1 正常, 2 禁用 (only 1 is listed)
    status               SMALLINT      NOT NULL DEFAULT 1 CHECK (status IN (1, 2)),
    lowest_amount        NUMERIC(12,2) NOT NULL DEFAULT 0 CHECK (lowest_amount >= 0)
);
-- Nearest-first lists walk this index (KNN on the cube's <->, whose
-- chord order is the great-circle order); radius filters use earth_box.
CREATE INDEX mp_merchants_earth ON mp_merchants USING gist (ll_to_earth(lat, lng));
CREATE INDEX mp_merchants_city ON mp_merchants (city_id, id);
CREATE INDEX mp_merchants_category ON mp_merchants (merchant_category_id, id);

-- Voucher goods (the seed's 商品): price, market price, validity, stock.
CREATE TABLE mp_goods (
    id           BIGSERIAL     PRIMARY KEY,
    oper_id      INTEGER       NOT NULL REFERENCES mp_opers (id),
    merchant_id  BIGINT        NOT NULL REFERENCES mp_merchants (id),
    name         VARCHAR(100)  NOT NULL,
    "desc"       TEXT          NOT NULL DEFAULT '',
    market_price NUMERIC(12,2) NOT NULL CHECK (market_price >= 0),
    price        NUMERIC(12,2) NOT NULL CHECK (price > 0),
    start_date   DATE          NOT NULL,
    end_date     DATE          NOT NULL CHECK (end_date >= start_date),
    open_time    TIME          NOT NULL DEFAULT '00:00',
    close_time   TIME          NOT NULL DEFAULT '23:59:59',
    thumb_url    VARCHAR(255)  NOT NULL DEFAULT '',
    pic          VARCHAR(255)  NOT NULL DEFAULT '',
    pic_list     TEXT[]        NOT NULL DEFAULT '{}',
    buy_info     TEXT          NOT NULL DEFAULT '',
    -- 1 上架, 2 下架
    status       SMALLINT      NOT NULL DEFAULT 1 CHECK (status IN (1, 2)),
    sell_number  INTEGER       NOT NULL DEFAULT 0 CHECK (sell_number >= 0),
    -- Reserved when an order is placed, returned when it is cancelled,
    -- closed or refunded; never below zero.
    stock        INTEGER       NOT NULL DEFAULT 0 CHECK (stock >= 0)
);
CREATE INDEX mp_goods_merchant ON mp_goods (merchant_id, id);

-- An order of one good. status is the seed's: 1 未支付, 2 已取消,
-- 3 已关闭 (closed by the job), 4 已付款, 6 已退款, 7 已完成.
CREATE TABLE mp_orders (
    id              BIGSERIAL     PRIMARY KEY,
    order_no        VARCHAR(32)   NOT NULL UNIQUE,
    oper_id         INTEGER       NOT NULL REFERENCES mp_opers (id),
    user_id         BIGINT        NOT NULL REFERENCES users (id),
    notify_mobile   VARCHAR(20)   NOT NULL DEFAULT '',
    merchant_id     BIGINT        NOT NULL REFERENCES mp_merchants (id),
    merchant_name   VARCHAR(100)  NOT NULL,
    goods_id        BIGINT        NOT NULL REFERENCES mp_goods (id),
    goods_name      VARCHAR(100)  NOT NULL,
    goods_pic       VARCHAR(255)  NOT NULL DEFAULT '',
    goods_thumb_url VARCHAR(255)  NOT NULL DEFAULT '',
    price           NUMERIC(12,2) NOT NULL CHECK (price > 0),
    buy_number      INTEGER       NOT NULL CHECK (buy_number > 0),
    pay_price       NUMERIC(12,2) NOT NULL CHECK (pay_price > 0),
    refund_price    NUMERIC(12,2) NOT NULL DEFAULT 0 CHECK (refund_price >= 0),
    status          SMALLINT      NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3, 4, 6, 7)),
    pay_time        TIMESTAMPTZ,
    refund_time     TIMESTAMPTZ,
    cancel_time     TIMESTAMPTZ,
    close_time      TIMESTAMPTZ,
    done_time       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ   NOT NULL,
    updated_at      TIMESTAMPTZ   NOT NULL
);
CREATE INDEX mp_orders_user ON mp_orders (user_id, status, id);
-- The close job's look-up: unpaid orders by age.
CREATE INDEX mp_orders_unpaid ON mp_orders (created_at) WHERE status = 1;

-- Redemption codes (核销码), one per unit, made when the order is paid:
-- 1 未核销, 2 已核销, 3 已退款.
CREATE TABLE mp_order_items (
    id          BIGSERIAL    PRIMARY KEY,
    order_id    BIGINT       NOT NULL REFERENCES mp_orders (id),
    user_id     BIGINT       NOT NULL REFERENCES users (id),
    verify_code VARCHAR(16)  NOT NULL UNIQUE,
    status      SMALLINT     NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3)),
    redeemed_at TIMESTAMPTZ,
    refunded_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ  NOT NULL,
    updated_at  TIMESTAMPTZ  NOT NULL
);
CREATE INDEX mp_order_items_order ON mp_order_items (order_id, id);
