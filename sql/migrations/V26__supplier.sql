-- The supplier mini-program (seed 002, docs/protocol.md §21): supplier
-- accounts on the shared users (role supplier.supplier), the specs they
-- sell, their orders with the seed's statuses, and the 补款 sub-orders an
-- edited advance-payment order creates.

-- A supplier: an account with the role supplier.supplier and a title. Not
-- certified (101 未认证) until the back office certifies it.
CREATE TABLE suppliers (
    user_id      BIGINT       PRIMARY KEY REFERENCES users (id),
    title        VARCHAR(100) NOT NULL,
    certified_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
);

-- The specs (规格) a supplier sells: a good and one of its units.
CREATE TABLE supplier_specs (
    id                BIGSERIAL     PRIMARY KEY,
    supplier_id       BIGINT        NOT NULL REFERENCES suppliers (user_id),
    good_id           BIGINT        NOT NULL,
    good_title        VARCHAR(100)  NOT NULL,
    good_litpic       VARCHAR(255)  NOT NULL DEFAULT '',
    name              VARCHAR(50)   NOT NULL,
    price             NUMERIC(12,2) NOT NULL CHECK (price >= 0),
    -- Kept by the review side outside the seed; shown as it is.
    high_opinion_rate VARCHAR(8)    NOT NULL DEFAULT '0%'
);
CREATE INDEX supplier_specs_supplier ON supplier_specs (supplier_id, id);

-- A supplier's order. status is the seed's: 0 未付款, 1 已付款, 2 待确认,
-- 3 待修改, 4 已修改, 11 拣货完成, 12 配送员接单, 13 配送员取货,
-- 21 待评价, 22 已评价, 30 交易关闭 (10 and 20 are groups, never stored).
CREATE TABLE supplier_orders (
    id           BIGSERIAL     PRIMARY KEY,
    order_sn     VARCHAR(32)   NOT NULL UNIQUE,
    supplier_id  BIGINT        NOT NULL REFERENCES suppliers (user_id),
    status       SMALLINT      NOT NULL CHECK (status IN (0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 30)),
    total_number INTEGER       NOT NULL CHECK (total_number > 0),
    total_amount NUMERIC(12,2) NOT NULL CHECK (total_amount >= 0),
    created_at   TIMESTAMPTZ   NOT NULL,
    updated_at   TIMESTAMPTZ   NOT NULL,
    accepted_at  TIMESTAMPTZ,
    edited_at    TIMESTAMPTZ,
    picked_at    TIMESTAMPTZ,
    courier_at   TIMESTAMPTZ,
    fetched_at   TIMESTAMPTZ,
    done_at      TIMESTAMPTZ,
    reviewed_at  TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ
);
CREATE INDEX supplier_orders_supplier ON supplier_orders (supplier_id, created_at DESC, id DESC);

-- The specs of an order as they were bought.
CREATE TABLE supplier_order_items (
    id          BIGSERIAL     PRIMARY KEY,
    order_id    BIGINT        NOT NULL REFERENCES supplier_orders (id),
    good_id     BIGINT        NOT NULL,
    good_title  VARCHAR(100)  NOT NULL,
    good_litpic VARCHAR(255)  NOT NULL DEFAULT '',
    buy_number  INTEGER       NOT NULL CHECK (buy_number > 0),
    spec_name   VARCHAR(50)   NOT NULL,
    price       NUMERIC(12,2) NOT NULL CHECK (price >= 0)
);
CREATE INDEX supplier_order_items_order ON supplier_order_items (order_id, id);

-- The 补款 sub-order of an edited order: the edited total minus the
-- original (negative when the supplier lowered it). One per order.
CREATE TABLE supplier_order_sons (
    id         BIGSERIAL     PRIMARY KEY,
    order_id   BIGINT        NOT NULL UNIQUE REFERENCES supplier_orders (id),
    son_sn     VARCHAR(32)   NOT NULL UNIQUE,
    amount     NUMERIC(12,2) NOT NULL,
    created_at TIMESTAMPTZ   NOT NULL
);
