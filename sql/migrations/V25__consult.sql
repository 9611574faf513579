-- Consulting (seed 001, docs/protocol.md §20): buyers publish demands under
-- tags, consultants take paid orders on them. Accounts are the shared
-- `users` (mobile from the SMS sign-in, password from consult.*.register);
-- the consultant is a role in `user_roles` (product consult).

-- The user name and details consult.user.register and
-- consult.consultant.register add to an account; one row per user.
CREATE TABLE consult_profiles (
    user_id    BIGINT       PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    username   VARCHAR(32)  NOT NULL UNIQUE,
    realname   VARCHAR(32)  NOT NULL DEFAULT '',
    -- 1 male, 0 female, NULL not given.
    gender     SMALLINT     CHECK (gender IN (0, 1)),
    email      VARCHAR(100) NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ  NOT NULL DEFAULT now()
);

-- The tags demands are published under (consult.tag.list).
CREATE TABLE consult_tags (
    id   BIGINT      PRIMARY KEY,
    name VARCHAR(32) NOT NULL UNIQUE
);
INSERT INTO consult_tags (id, name) VALUES
    (1, '法律咨询'), (2, '财务税务'), (3, '心理咨询'), (4, '职业规划'), (5, '留学移民');

-- A demand (需求帖). Deleting one sets deleted_at; a demand with a live
-- order (unpaid, paid, in service) cannot be deleted.
CREATE TABLE consult_posts (
    id         BIGSERIAL     PRIMARY KEY,
    user_id    BIGINT        NOT NULL REFERENCES users (id),
    title      VARCHAR(100)  NOT NULL,
    content    TEXT          NOT NULL,
    price      NUMERIC(12,2) NOT NULL CHECK (price >= 0),
    created_at TIMESTAMPTZ   NOT NULL,
    updated_at TIMESTAMPTZ   NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX consult_posts_user ON consult_posts (user_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE consult_post_tags (
    post_id BIGINT NOT NULL REFERENCES consult_posts (id),
    tag_id  BIGINT NOT NULL REFERENCES consult_tags (id),
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX consult_post_tags_tag ON consult_post_tags (tag_id, post_id);

-- An order of a consultant's service on a demand. Statuses (the machine in
-- src/services/consult.rs): 0 unpaid, 1 paid, 2 in service, 3 done,
-- 4 cancelled, 5 refunded. Deleting a closed order (3, 4, 5) sets
-- deleted_at.
CREATE TABLE consult_orders (
    id            BIGSERIAL     PRIMARY KEY,
    order_no      VARCHAR(32)   NOT NULL UNIQUE,
    user_id       BIGINT        NOT NULL REFERENCES users (id),
    consultant_id BIGINT        NOT NULL REFERENCES users (id),
    post_id       BIGINT        NOT NULL REFERENCES consult_posts (id),
    price         NUMERIC(12,2) NOT NULL CHECK (price > 0),
    status        SMALLINT      NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),
    created_at    TIMESTAMPTZ   NOT NULL,
    updated_at    TIMESTAMPTZ   NOT NULL,
    pay_time      TIMESTAMPTZ,
    accept_time   TIMESTAMPTZ,
    finish_time   TIMESTAMPTZ,
    cancel_time   TIMESTAMPTZ,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX consult_orders_user ON consult_orders (user_id, id DESC);
CREATE INDEX consult_orders_consultant ON consult_orders (consultant_id, id DESC);
CREATE INDEX consult_orders_post_live ON consult_orders (post_id) WHERE status IN (0, 1, 2);
