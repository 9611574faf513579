-- The home-services marketplace (seed 000 慕慕到家, docs/protocol.md §22):
-- categories, the services people publish, bookings (预约订单) with their
-- snapshots, refunds, ratings, and the home profile fields the shared
-- users table does not have (real name, gender, tel).

CREATE TABLE home_categories (
    id   BIGSERIAL   PRIMARY KEY,
    name VARCHAR(20) NOT NULL UNIQUE,
    sort INTEGER     NOT NULL DEFAULT 0
);

-- The seed's user fields beyond users.nickname and users.headimg (avatar).
-- gender: 0 unknown, 1 男, 2 女.
CREATE TABLE home_profiles (
    user_id    BIGINT      PRIMARY KEY REFERENCES users (id),
    real_name  VARCHAR(50),
    gender     SMALLINT    NOT NULL DEFAULT 0 CHECK (gender IN (0, 1, 2)),
    tel        VARCHAR(20),
    updated_at TIMESTAMPTZ NOT NULL
);

-- A service. type: 1 在提供, 2 正在找. status (服务状态枚举): 0 待审核,
-- 1 待发布, 2 已发布, 3 已下架, 4 已取消, 5 审核不通过. score is
-- score_sum / rating_count; sales_volume counts confirmed bookings.
CREATE TABLE home_services (
    id               BIGSERIAL     PRIMARY KEY,
    publisher_id     BIGINT        NOT NULL REFERENCES users (id),
    type             SMALLINT      NOT NULL CHECK (type IN (1, 2)),
    category_id      BIGINT        NOT NULL REFERENCES home_categories (id),
    cover_image_id   BIGINT        NOT NULL REFERENCES files (id),
    designated_place SMALLINT      NOT NULL CHECK (designated_place IN (0, 1)),
    title            VARCHAR(100)  NOT NULL,
    description      TEXT          NOT NULL,
    begin_date       DATE          NOT NULL,
    end_date         DATE          NOT NULL CHECK (end_date >= begin_date),
    price            NUMERIC(12,2) NOT NULL CHECK (price >= 0),
    status           SMALLINT      NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),
    score_sum        INTEGER       NOT NULL DEFAULT 0,
    rating_count     INTEGER       NOT NULL DEFAULT 0,
    sales_volume     INTEGER       NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ   NOT NULL,
    updated_at       TIMESTAMPTZ   NOT NULL,
    reviewed_at      TIMESTAMPTZ,
    published_at     TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    edited_at        TIMESTAMPTZ
);
CREATE INDEX home_services_published ON home_services (status, type, category_id, id DESC);
CREATE INDEX home_services_publisher ON home_services (publisher_id, type, status, id DESC);

-- A booking (预约订单). status: 0 待同意, 1 待支付, 2 待确认, 3 待评价,
-- 4 已完成, 5 已取消, 6 已拒绝. The snapshots are what was booked.
CREATE TABLE home_orders (
    id           BIGSERIAL     PRIMARY KEY,
    order_no     BIGINT        NOT NULL UNIQUE,
    service_id   BIGINT        NOT NULL REFERENCES home_services (id),
    publisher_id BIGINT        NOT NULL REFERENCES users (id),
    consumer_id  BIGINT        NOT NULL REFERENCES users (id),
    price        NUMERIC(12,2) NOT NULL CHECK (price >= 0),
    service_snap JSONB         NOT NULL,
    address_snap JSONB,
    status       SMALLINT      NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 6),
    created_at   TIMESTAMPTZ   NOT NULL,
    updated_at   TIMESTAMPTZ   NOT NULL,
    agreed_at    TIMESTAMPTZ,
    rejected_at  TIMESTAMPTZ,
    paid_at      TIMESTAMPTZ,
    confirmed_at TIMESTAMPTZ,
    rated_at     TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ
);
CREATE INDEX home_orders_publisher ON home_orders (publisher_id, status, id DESC);
CREATE INDEX home_orders_consumer ON home_orders (consumer_id, status, id DESC);
CREATE SEQUENCE home_order_no_seq;

-- A refund request on a paid booking. status: 0 待同意, 1 已同意,
-- 2 已退款, 3 已完成, 4 已拒绝, 5 已取消. At most one open (0, 1) per
-- booking.
CREATE TABLE home_refunds (
    id            BIGSERIAL    PRIMARY KEY,
    order_no      BIGINT       NOT NULL UNIQUE,
    order_id      BIGINT       NOT NULL REFERENCES home_orders (id),
    publisher_id  BIGINT       NOT NULL REFERENCES users (id),
    consumer_id   BIGINT       NOT NULL REFERENCES users (id),
    reason        VARCHAR(500) NOT NULL,
    illustration  JSONB        NOT NULL DEFAULT '[]',
    status        SMALLINT     NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),
    out_refund_no VARCHAR(64),
    created_at    TIMESTAMPTZ  NOT NULL,
    updated_at    TIMESTAMPTZ  NOT NULL,
    agreed_at     TIMESTAMPTZ,
    rejected_at   TIMESTAMPTZ,
    refunded_at   TIMESTAMPTZ,
    completed_at  TIMESTAMPTZ,
    cancelled_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX home_refunds_one_open ON home_refunds (order_id) WHERE status IN (0, 1);
CREATE INDEX home_refunds_publisher ON home_refunds (publisher_id, status, id DESC);
CREATE INDEX home_refunds_consumer ON home_refunds (consumer_id, status, id DESC);

-- A rating of a completed booking, one per booking. status (评价状态枚举):
-- 0 已隐藏, 1 待审核, 2 已展示.
CREATE TABLE home_ratings (
    id           BIGSERIAL   PRIMARY KEY,
    order_id     BIGINT      NOT NULL UNIQUE REFERENCES home_orders (id),
    service_id   BIGINT      NOT NULL REFERENCES home_services (id),
    author_id    BIGINT      NOT NULL REFERENCES users (id),
    score        SMALLINT    NOT NULL CHECK (score BETWEEN 1 AND 5),
    content      VARCHAR(1000) NOT NULL,
    illustration JSONB       NOT NULL DEFAULT '[]',
    status       SMALLINT    NOT NULL DEFAULT 2 CHECK (status IN (0, 1, 2)),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX home_ratings_service ON home_ratings (service_id, status, id DESC);

-- The answers' shapes, built where the rows are (one definition for every
-- list and detail). Times are formatted at the offset the gateway passes
-- (its configured timezone, in seconds).
CREATE FUNCTION home_time(t TIMESTAMPTZ, tz_secs INTEGER) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char((t AT TIME ZONE 'UTC') + make_interval(secs => tz_secs), 'YYYY-MM-DD HH24:MI:SS')
$$;

-- The seed's publisher / consumer / author object.
CREATE FUNCTION home_user_json(uid BIGINT) RETURNS JSON
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', u.id, 'nickname', u.nickname, 'avatar', u.headimg,
        'real_name', p.real_name, 'gender', COALESCE(p.gender, 0), 'tel', p.tel)
    FROM users u LEFT JOIN home_profiles p ON p.user_id = u.id WHERE u.id = uid
$$;

-- "3.5", "5", "0": the average of the ratings to one decimal.
CREATE FUNCTION home_score(score_sum INTEGER, rating_count INTEGER) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN rating_count = 0 THEN '0'
        ELSE trim_scale(round(score_sum::numeric / rating_count, 1))::text END
$$;

-- The seed's service object (detail, lists, service_snap).
CREATE FUNCTION home_service_json(sid BIGINT, tz_secs INTEGER, base TEXT) RETURNS JSON
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'type', s.type, 'designated_place', s.designated_place,
        'title', s.title, 'description', s.description, 'price', s.price::text,
        'begin_date', s.begin_date::text, 'end_date', s.end_date::text,
        'score', home_score(s.score_sum, s.rating_count), 'sales_volume', s.sales_volume,
        'status', s.status, 'create_time', home_time(s.created_at, tz_secs),
        'publisher', home_user_json(s.publisher_id),
        'category', json_build_object('id', c.id, 'name', c.name),
        'cover_image', json_build_object('id', f.id, 'path', base || f.relative_path))
    FROM home_services s JOIN home_categories c ON c.id = s.category_id
    JOIN files f ON f.id = s.cover_image_id WHERE s.id = sid
$$;

-- The seed's booking object.
CREATE FUNCTION home_order_json(oid BIGINT, tz_secs INTEGER) RETURNS JSON
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', o.id, 'order_no', o.order_no, 'price', o.price::text,
        'service_snap', o.service_snap, 'address_snap', o.address_snap, 'status', o.status,
        'create_time', home_time(o.created_at, tz_secs),
        'publisher', home_user_json(o.publisher_id), 'consumer', home_user_json(o.consumer_id))
    FROM home_orders o WHERE o.id = oid
$$;

-- The seed's refund object, with its booking as service_order.
CREATE FUNCTION home_refund_json(rid BIGINT, tz_secs INTEGER) RETURNS JSON
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'order_no', r.order_no, 'reason', r.reason,
        'illustration', r.illustration, 'status', r.status,
        'create_time', home_time(r.created_at, tz_secs),
        'publisher', home_user_json(r.publisher_id), 'consumer', home_user_json(r.consumer_id),
        'service_order', home_order_json(r.order_id, tz_secs))
    FROM home_refunds r WHERE r.id = rid
$$;

-- The seed's rating object.
CREATE FUNCTION home_rating_json(rid BIGINT, tz_secs INTEGER) RETURNS JSON
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'score', r.score, 'content', r.content,
        'illustration', r.illustration, 'status', r.status,
        'create_time', home_time(r.created_at, tz_secs), 'author', home_user_json(r.author_id))
    FROM home_ratings r WHERE r.id = rid
$$;
