-- State machines and jobs (docs/protocol.md §16, §17): every status change
-- a machine makes is recorded here in the same transaction as the change,
-- and every run of a timed job is recorded with what it did.

-- One row per transition: which machine, which record, which action, from
-- and to which status, who took it and when (the gateway's clock).
CREATE TABLE status_transitions (
    id          BIGSERIAL    PRIMARY KEY,
    machine     VARCHAR(50)  NOT NULL,
    record_id   BIGINT       NOT NULL,
    action      VARCHAR(50)  NOT NULL,
    from_status SMALLINT     NOT NULL,
    to_status   SMALLINT     NOT NULL,
    -- owner | admin | system | payment
    actor_kind  VARCHAR(10)  NOT NULL CHECK (actor_kind IN ('owner', 'admin', 'system', 'payment')),
    -- The user id, the appid, the job name or the payment reference.
    actor_id    VARCHAR(100) NOT NULL,
    at          TIMESTAMPTZ  NOT NULL
);
CREATE INDEX status_transitions_record ON status_transitions (machine, record_id, id);

-- One row per run of a timed job by one instance: when, how many records
-- it moved, and how it ended ('ok' or 'error', with the cause for support).
CREATE TABLE job_runs (
    id          BIGSERIAL    PRIMARY KEY,
    job         VARCHAR(50)  NOT NULL,
    -- The instance tag of the gateway process that ran it (hex).
    instance    VARCHAR(16)  NOT NULL,
    started_at  TIMESTAMPTZ  NOT NULL,
    finished_at TIMESTAMPTZ  NOT NULL,
    items       INTEGER      NOT NULL DEFAULT 0 CHECK (items >= 0),
    result      VARCHAR(10)  NOT NULL CHECK (result IN ('ok', 'error')),
    error       TEXT         NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs (job, started_at DESC);

-- The jobs find due orders by status and time.
CREATE INDEX orders_unpaid ON orders (created_at) WHERE order_status = 0;
CREATE INDEX orders_shipped ON orders (shipping_time) WHERE order_status = 2;
