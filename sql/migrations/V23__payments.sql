-- Payments (docs/protocol.md, "Payments"): one row per attempt to pay a
-- subject (a mall order, later the products' own), the notifications the
-- provider delivered, and refunds. Amounts are NUMERIC(12,2) yuan; drivers
-- count integer fen.

CREATE TABLE payments (
    id              BIGSERIAL     PRIMARY KEY,
    out_trade_no    VARCHAR(32)   NOT NULL UNIQUE,
    -- What is paid for: a kind registered with an on-paid hook, and its id.
    subject_kind    VARCHAR(32)   NOT NULL,
    subject_id      BIGINT        NOT NULL,
    user_id         BIGINT        NOT NULL REFERENCES users (id),
    amount          NUMERIC(12,2) NOT NULL CHECK (amount >= 0 AND amount <= 99999999.99),
    status          VARCHAR(16)   NOT NULL DEFAULT 'created'
                    CHECK (status IN ('created', 'paid', 'closed', 'refunding', 'refunded')),
    driver          VARCHAR(16)   NOT NULL,
    prepay_id       VARCHAR(64)   NOT NULL DEFAULT '',
    transaction_id  VARCHAR(64),
    paid_at         TIMESTAMPTZ,
    expires_at      TIMESTAMPTZ   NOT NULL,
    created_at      TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ   NOT NULL DEFAULT now()
);
-- At most one payment waiting for money per subject: two order.pay calls at
-- once share it instead of both charging.
CREATE UNIQUE INDEX payments_one_open ON payments (subject_kind, subject_id) WHERE status = 'created';
CREATE INDEX payments_subject ON payments (subject_kind, subject_id);
CREATE INDEX payments_user ON payments (user_id, created_at DESC);

-- Every notification applied or refused after its signature verified; the
-- provider's id makes a second delivery a no-op.
CREATE TABLE pay_notifications (
    id              BIGSERIAL     PRIMARY KEY,
    driver          VARCHAR(16)   NOT NULL,
    notify_id       VARCHAR(64)   NOT NULL,
    event_type      VARCHAR(64)   NOT NULL,
    out_trade_no    VARCHAR(32)   NOT NULL,
    -- applied | already_paid | not_payable | refund_applied | refund_known
    outcome         VARCHAR(32)   NOT NULL,
    received_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
    UNIQUE (driver, notify_id)
);

CREATE TABLE refunds (
    id              BIGSERIAL     PRIMARY KEY,
    out_refund_no   VARCHAR(64)   NOT NULL UNIQUE,
    payment_id      BIGINT        NOT NULL REFERENCES payments (id),
    amount          NUMERIC(12,2) NOT NULL CHECK (amount > 0 AND amount <= 99999999.99),
    status          VARCHAR(16)   NOT NULL DEFAULT 'processing'
                    CHECK (status IN ('processing', 'success', 'closed', 'abnormal')),
    refund_id       VARCHAR(64),
    reason          VARCHAR(80)   NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ   NOT NULL DEFAULT now(),
    refunded_at     TIMESTAMPTZ
);
CREATE INDEX refunds_payment ON refunds (payment_id);
