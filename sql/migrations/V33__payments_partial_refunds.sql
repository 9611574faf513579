-- Several refunds of one payment (docs/protocol.md §18.5): a payment part of
-- whose amount was refunded is `partially_refunded`, and can be refunded
-- again up to what remains; it is `refunded` when nothing remains.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ALTER COLUMN status TYPE VARCHAR(24);
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('created', 'paid', 'closed', 'refunding', 'partially_refunded', 'refunded'));
-- The expired-payment sweep finds its rows by expiry.
CREATE INDEX payments_open_expiry ON payments (expires_at) WHERE status = 'created';
