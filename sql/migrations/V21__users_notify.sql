-- The profile kept with the sessions (docs/protocol.md §8.8): any change to
-- a profile column or the status of a user, from the API or from SQL run
-- by hand, notifies channel yafgate_users with the user's id; every gateway
-- instance listens and forgets that user's profile in Redis.

CREATE FUNCTION users_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('yafgate_users', OLD.id::text);
    ELSE
        PERFORM pg_notify('yafgate_users', NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_profile_changed
    AFTER UPDATE OF open_id, mobile, nickname, headimg, intro, status, created_at OR DELETE
    ON users
    FOR EACH ROW EXECUTE FUNCTION users_notify_change();
