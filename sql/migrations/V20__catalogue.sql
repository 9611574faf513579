-- The catalogue of seed 003 (issue 5): app upgrade rules, ads, categories,
-- links, notices, messages, news, goods, orders and uploaded files.
-- Times are TIMESTAMPTZ; money is whole coins (INTEGER), as the seed's
-- integral mall prices are.

-- A version text such as 1.10.0: digits separated by dots. The gateway
-- compares versions part by part, never as strings.
CREATE DOMAIN app_version AS VARCHAR(32)
    CHECK (VALUE ~ '^[0-9]{1,9}(\.[0-9]{1,9})*$');

-- App upgrade rules (system.upgrade, system.init's `upgrade`). A rule
-- applies to callers of its platform whose channel is `channel` (or any
-- channel when ''), whose app version lies in [min_app_v, max_app_v]
-- (NULL: unbounded) and, for ways 1 and 2, is older than the target app_v.
CREATE TABLE app_upgrades (
    id              BIGSERIAL    PRIMARY KEY,
    -- 1 iOS, 2 Android: only apps upgrade.
    platform        SMALLINT     NOT NULL CHECK (platform IN (1, 2)),
    channel         VARCHAR(64)  NOT NULL DEFAULT '',
    min_app_v       app_version,
    max_app_v       app_version,
    -- 0 no upgrade, 1 suggested, 2 forced, 3 app closed.
    upgrade_way     SMALLINT     NOT NULL CHECK (upgrade_way BETWEEN 0 AND 3),
    -- Target version; needed for ways 1 and 2.
    app_v           app_version,
    app_title       VARCHAR(100) NOT NULL DEFAULT '',
    app_desc        TEXT         NOT NULL DEFAULT '',
    -- Download address (Android); iOS answers always carry ''.
    app_url         VARCHAR(255) NOT NULL DEFAULT '',
    -- Show the dialog on every start (1) or once (0).
    dialog_repeat   SMALLINT     NOT NULL DEFAULT 0 CHECK (dialog_repeat IN (0, 1)),
    enabled         BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CHECK (upgrade_way NOT IN (1, 2) OR app_v IS NOT NULL)
);
CREATE INDEX app_upgrades_platform ON app_upgrades (platform, channel) WHERE enabled;

-- Ad positions, addressed by code (system.ads, system.home, system.init).
CREATE TABLE ad_positions (
    id          BIGSERIAL    PRIMARY KEY,
    pos_code    VARCHAR(50)  NOT NULL UNIQUE,
    pos_name    VARCHAR(50)  NOT NULL,
    -- How many ads the position shows at most.
    pos_ad_count SMALLINT    NOT NULL DEFAULT 5 CHECK (pos_ad_count > 0),
    enabled     BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
);

-- Ads shown in a position while now is within [start_time, end_time).
CREATE TABLE ads (
    id              BIGSERIAL    PRIMARY KEY,
    pos_id          BIGINT       NOT NULL REFERENCES ad_positions (id),
    ad_name         VARCHAR(100) NOT NULL,
    ad_image_url    VARCHAR(255) NOT NULL DEFAULT '',
    -- Internal or external link (see the link rules of the apps).
    ad_url          VARCHAR(255) NOT NULL DEFAULT '',
    start_time      TIMESTAMPTZ  NOT NULL,
    end_time        TIMESTAMPTZ  NOT NULL,
    -- Smaller first.
    sort            INTEGER      NOT NULL DEFAULT 0,
    display         BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CHECK (end_time > start_time)
);
CREATE INDEX ads_position ON ads (pos_id, sort, id) WHERE display;

-- One category tree per type: 1 news, 2 links, 3 goods. A child has its
-- parent's type (the composite foreign key says so).
CREATE TABLE categories (
    id          BIGSERIAL    PRIMARY KEY,
    cat_type    SMALLINT     NOT NULL CHECK (cat_type BETWEEN 1 AND 3),
    -- NULL for a top-level category (the API shows it as parentid 0).
    parent_id   BIGINT,
    cat_name    VARCHAR(50)  NOT NULL,
    cat_code    VARCHAR(50)  NOT NULL UNIQUE,
    sort        INTEGER      NOT NULL DEFAULT 0,
    display     BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    UNIQUE (id, cat_type),
    FOREIGN KEY (parent_id, cat_type) REFERENCES categories (id, cat_type),
    CHECK (parent_id <> id)
);
CREATE INDEX categories_tree ON categories (cat_type, parent_id, sort, id);

-- Friendly links, grouped by a category of type 2.
CREATE TABLE links (
    id          BIGSERIAL    PRIMARY KEY,
    cat_id      BIGINT       NOT NULL,
    cat_type    SMALLINT     NOT NULL DEFAULT 2 CHECK (cat_type = 2),
    link_name   VARCHAR(50)  NOT NULL,
    link_url    VARCHAR(255) NOT NULL,
    image_url   VARCHAR(255) NOT NULL DEFAULT '',
    sort        INTEGER      NOT NULL DEFAULT 0,
    display     BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    FOREIGN KEY (cat_id, cat_type) REFERENCES categories (id, cat_type)
);
CREATE INDEX links_category ON links (cat_id, sort, id) WHERE display;

-- System notices, public once published. A notice flagged `dialog` is
-- what system.init shows as notice_dialog; the app remembers `edition` so
-- it pops up once.
CREATE TABLE notices (
    id              BIGSERIAL    PRIMARY KEY,
    title           VARCHAR(100) NOT NULL,
    summary         VARCHAR(255) NOT NULL DEFAULT '',
    body            TEXT         NOT NULL DEFAULT '',
    publish_time    TIMESTAMPTZ  NOT NULL,
    display         BOOLEAN      NOT NULL DEFAULT TRUE,
    dialog          BOOLEAN      NOT NULL DEFAULT FALSE,
    edition         VARCHAR(32)  NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX notices_published ON notices (publish_time DESC, id DESC) WHERE display;

-- Which user has read which notice (notice.unread.count).
CREATE TABLE notice_reads (
    notice_id   BIGINT       NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    user_id     BIGINT       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, notice_id)
);

-- System messages: to one user, or to every user when user_id is NULL.
CREATE TABLE messages (
    id              BIGSERIAL    PRIMARY KEY,
    user_id         BIGINT       REFERENCES users (id) ON DELETE CASCADE,
    -- 1 system, 2 welfare (type_ref_id then names the welfare).
    msg_type        SMALLINT     NOT NULL DEFAULT 1 CHECK (msg_type IN (1, 2)),
    type_ref_id     BIGINT       NOT NULL DEFAULT 0,
    title           VARCHAR(100) NOT NULL,
    content         TEXT         NOT NULL DEFAULT '',
    url             VARCHAR(255) NOT NULL DEFAULT '',
    publish_time    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    display         BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX messages_user ON messages (user_id, publish_time DESC, id DESC) WHERE display;

-- Per-user read state of messages (message.read.status), for personal and
-- broadcast messages alike.
CREATE TABLE message_reads (
    message_id  BIGINT       NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     BIGINT       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, message_id)
);

-- News articles, in a category of type 1, public once published.
CREATE TABLE news (
    id              BIGSERIAL    PRIMARY KEY,
    cat_id          BIGINT       NOT NULL,
    cat_type        SMALLINT     NOT NULL DEFAULT 1 CHECK (cat_type = 1),
    title           VARCHAR(100) NOT NULL,
    intro           VARCHAR(500) NOT NULL DEFAULT '',
    image_url       VARCHAR(255) NOT NULL DEFAULT '',
    source          VARCHAR(50)  NOT NULL DEFAULT '',
    content         TEXT         NOT NULL DEFAULT '',
    display         BOOLEAN      NOT NULL DEFAULT TRUE,
    publish_time    TIMESTAMPTZ  NOT NULL,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    FOREIGN KEY (cat_id, cat_type) REFERENCES categories (id, cat_type)
);
CREATE INDEX news_published ON news (publish_time DESC, id DESC) WHERE display;
CREATE INDEX news_category ON news (cat_id, publish_time DESC, id DESC) WHERE display;

-- Mall goods, in a category of type 3. Prices live on the products.
CREATE TABLE goods (
    id              BIGSERIAL    PRIMARY KEY,
    cat_id          BIGINT       NOT NULL,
    cat_type        SMALLINT     NOT NULL DEFAULT 3 CHECK (cat_type = 3),
    goods_name      VARCHAR(100) NOT NULL,
    -- Main image.
    goods_img       VARCHAR(255) NOT NULL DEFAULT '',
    description     TEXT         NOT NULL DEFAULT '',
    -- How many one user may buy; 0 = no limit.
    limit_count     INTEGER      NOT NULL DEFAULT 0 CHECK (limit_count >= 0),
    display         BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    FOREIGN KEY (cat_id, cat_type) REFERENCES categories (id, cat_type)
);
CREATE INDEX goods_category ON goods (cat_id) WHERE display;

-- Products (SKUs) of a goods. spec_val is '' for the one product of a
-- single-spec goods, else "name:::value" pairs joined by "|||"
-- ("颜色:::红色|||尺码:::XL").
CREATE TABLE goods_products (
    id              BIGSERIAL    PRIMARY KEY,
    goods_id        BIGINT       NOT NULL REFERENCES goods (id) ON DELETE CASCADE,
    sku             VARCHAR(50)  NOT NULL UNIQUE,
    spec_val        VARCHAR(255) NOT NULL DEFAULT '',
    market_price    INTEGER      NOT NULL CHECK (market_price >= 0),
    sales_price     INTEGER      NOT NULL CHECK (sales_price >= 0),
    stock           INTEGER      NOT NULL DEFAULT 0 CHECK (stock >= 0),
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    UNIQUE (goods_id, spec_val)
);
CREATE INDEX goods_products_price ON goods_products (sales_price, goods_id);

-- The album of a goods: at most five images, slots 1 to 5.
CREATE TABLE goods_images (
    goods_id        BIGINT       NOT NULL REFERENCES goods (id) ON DELETE CASCADE,
    slot            SMALLINT     NOT NULL CHECK (slot BETWEEN 1 AND 5),
    image_url       VARCHAR(255) NOT NULL,
    PRIMARY KEY (goods_id, slot)
);

-- Order statuses and the label order.list shows for each.
CREATE TABLE order_statuses (
    status      SMALLINT     PRIMARY KEY,
    label       VARCHAR(20)  NOT NULL
);
INSERT INTO order_statuses (status, label) VALUES
    (0, '待付款'), (1, '待发货'), (2, '已发货'), (3, '交易成功'), (4, '已关闭');

-- Mall orders. Times of the later steps are NULL until they happen.
CREATE TABLE orders (
    id                  BIGSERIAL    PRIMARY KEY,
    order_sn            VARCHAR(32)  NOT NULL UNIQUE,
    user_id             BIGINT       NOT NULL REFERENCES users (id),
    order_status        SMALLINT     NOT NULL DEFAULT 0 REFERENCES order_statuses (status),
    total_price         INTEGER      NOT NULL CHECK (total_price >= 0),
    pay_time            TIMESTAMPTZ,
    shipping_time       TIMESTAMPTZ,
    done_time           TIMESTAMPTZ,
    closed_time         TIMESTAMPTZ,
    receiver_name       VARCHAR(30)  NOT NULL DEFAULT '',
    receiver_province   VARCHAR(30)  NOT NULL DEFAULT '',
    receiver_city       VARCHAR(30)  NOT NULL DEFAULT '',
    receiver_district   VARCHAR(30)  NOT NULL DEFAULT '',
    receiver_street     VARCHAR(50)  NOT NULL DEFAULT '',
    receiver_address    VARCHAR(100) NOT NULL DEFAULT '',
    receiver_mobile     VARCHAR(20)  NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX orders_user ON orders (user_id, created_at DESC, id DESC);

-- What an order bought: a copy of the goods and product as they were.
CREATE TABLE order_items (
    id              BIGSERIAL    PRIMARY KEY,
    order_id        BIGINT       NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    goods_id        BIGINT       NOT NULL REFERENCES goods (id),
    product_id      BIGINT       NOT NULL REFERENCES goods_products (id),
    goods_name      VARCHAR(100) NOT NULL,
    goods_image     VARCHAR(255) NOT NULL DEFAULT '',
    spec_val        VARCHAR(255) NOT NULL DEFAULT '',
    market_price    INTEGER      NOT NULL CHECK (market_price >= 0),
    sales_price     INTEGER      NOT NULL CHECK (sales_price >= 0),
    quantity        INTEGER      NOT NULL CHECK (quantity > 0),
    -- After discounts.
    payment_price   INTEGER      NOT NULL CHECK (payment_price >= 0),
    -- sales_price × quantity, before discounts.
    total_price     INTEGER      NOT NULL CHECK (total_price >= 0)
);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE INDEX order_items_goods ON order_items (goods_id);

-- Files users uploaded (system.upload). Paths are relative to the files host.
CREATE TABLE files (
    id              BIGSERIAL    PRIMARY KEY,
    user_id         BIGINT       NOT NULL REFERENCES users (id),
    relative_path   VARCHAR(255) NOT NULL UNIQUE,
    original_name   VARCHAR(255) NOT NULL DEFAULT '',
    mime_type       VARCHAR(100) NOT NULL,
    size_bytes      BIGINT       NOT NULL CHECK (size_bytes >= 0),
    sha256          CHAR(64)     NOT NULL,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX files_user ON files (user_id, created_at DESC);
