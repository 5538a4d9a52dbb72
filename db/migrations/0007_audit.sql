-- Audit trail: one row per write (AXL add/update/remove/apply/reset/restart
-- and the admin CLI's writes), inserted by the same statement or
-- transaction as the write, so a row exists exactly when the change
-- committed.  changes maps each field written to its new value; secrets
-- (passwords, digest credentials) appear as '(redacted)', never as values.
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    userid      text NOT NULL,
    source      text NOT NULL,
    node        text NOT NULL DEFAULT '',
    operation   text NOT NULL,
    target_kind text NOT NULL,
    target_name text,
    target_uuid uuid,
    changes     jsonb NOT NULL DEFAULT '{}'
);
