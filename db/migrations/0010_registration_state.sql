-- 0010_registration_state.sql: what the registrar last saw of each phone,
-- for listRegistrationDynamic, and whether a phone confirmed the
-- configuration a NOTIFY told it about.

-- One row per phone that ever sent a REGISTER the registrar answered with
-- a final verdict (a digest challenge is not one).  outcome: registered (it
-- holds a binding), unregistered (its last REGISTER removed the last
-- binding) or rejected (refused: credentials, transport, certificate).
-- call_id: of the last REGISTER accepted, to tell a new registration (a
-- phone that restarted or re-read its configuration) from a refresh.
CREATE TABLE phone_registration_state (
    phone_id             uuid PRIMARY KEY REFERENCES phone (pkid) ON DELETE CASCADE,
    last_register_at     timestamptz NOT NULL,
    outcome              text NOT NULL
                         CHECK (outcome IN ('registered', 'unregistered', 'rejected')),
    status               integer NOT NULL,
    call_id              text NOT NULL DEFAULT '',
    source_ip            inet,
    node                 text NOT NULL DEFAULT '',
    -- the phone's config_version when it first registered
    first_config_version bigint,
    -- the newest config version the phone confirmed, and when
    confirmed_version    bigint,
    confirmed_at         timestamptz
);

-- When the phone confirmed this NOTIFY's configuration: the first new
-- registration (new Call-ID) after the NOTIFY was delivered.
ALTER TABLE notify_outbox ADD COLUMN confirmed_at timestamptz;
CREATE INDEX notify_outbox_unconfirmed ON notify_outbox (phone_id)
    WHERE state = 'delivered' AND confirmed_at IS NULL;
