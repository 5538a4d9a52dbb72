-- 0006_sip_apply.sql: SIP registrations, apply/reset/restart requests and
-- the durable outbox of NOTIFYs that carries them to registered phones.

-- Goes into the NOTIFY's ConfigVersionStamp; every apply/reset/restart
-- that targets the phone moves it on.
ALTER TABLE phone ADD COLUMN config_version bigint NOT NULL DEFAULT 1;

-- Shared by every instance on this database, so that a nonce issued by one
-- is verified by any other (RFC 7616 §3.3 leaves the nonce's form to us).
CREATE TABLE sip_secret (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    secret text NOT NULL CHECK (char_length(secret) >= 32)
);
INSERT INTO sip_secret (secret)
SELECT md5(gen_random_uuid()::text) || md5(gen_random_uuid()::text);

-- One binding per phone and Contact (RFC 3261 §10.3).  Active while
-- expires_at is in the future; the registrar deletes long-expired rows.
-- node: the instance that holds the socket or TCP connection.
CREATE TABLE sip_registration (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone_id      uuid NOT NULL REFERENCES phone (pkid) ON DELETE CASCADE,
    aor           text NOT NULL,
    contact_uri   text NOT NULL CHECK (char_length(contact_uri) BETWEEN 1 AND 1024),
    call_id       text NOT NULL CHECK (char_length(call_id) BETWEEN 1 AND 256),
    cseq          bigint NOT NULL CHECK (cseq >= 0),
    expires_at    timestamptz NOT NULL,
    transport     text NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    source_ip     inet NOT NULL,
    source_port   integer NOT NULL CHECK (source_port BETWEEN 1 AND 65535),
    node          text NOT NULL,
    user_agent    text NOT NULL DEFAULT '',
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (phone_id, contact_uri)
);
CREATE INDEX sip_registration_expiry ON sip_registration (expires_at);

-- One row per applyPhone / applyPhoneSecurityProfile / reset / restart.
CREATE TABLE apply_request (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid         uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    operation    text NOT NULL,
    action       text NOT NULL CHECK (action IN ('apply-config', 'reset', 'restart')),
    target_kind  text NOT NULL CHECK (target_kind IN ('phone', 'phoneSecurityProfile')),
    target_uuid  uuid NOT NULL,
    target_name  text NOT NULL,
    requested_by text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apply_request_target ON apply_request (target_uuid, id);
CREATE INDEX apply_request_target_name ON apply_request (target_name, id);

-- One row per targeted phone.  unreachable: not registered, or SCCP; the
-- others follow the NOTIFY: pending -> sending -> delivered | failed, with
-- sending -> pending again for a retry after back-off.
CREATE TABLE notify_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id      bigint NOT NULL REFERENCES apply_request (id) ON DELETE CASCADE,
    phone_id        uuid REFERENCES phone (pkid) ON DELETE SET NULL,
    phone_name      text NOT NULL,
    registration_id bigint REFERENCES sip_registration (id) ON DELETE SET NULL,
    node            text,
    event           text NOT NULL CHECK (event IN ('service-control', 'check-sync')),
    action          text NOT NULL CHECK (action IN ('apply-config', 'reset', 'restart')),
    config_version  bigint NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'failed',
                                                   'unreachable')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_status     integer,
    reason          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    CHECK ((state IN ('pending', 'sending')) = (done_at IS NULL))
);
CREATE INDEX notify_outbox_due ON notify_outbox (node, next_attempt_at)
    WHERE state IN ('pending', 'sending');
CREATE INDEX notify_outbox_request ON notify_outbox (request_id);

-- Wakes the sending instance(s).  PostgreSQL delivers a notification only
-- when the inserting transaction commits, never for a rolled-back one.
CREATE FUNCTION notify_outbox_wakeup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('axlprov_outbox', n.node)
       FROM (SELECT DISTINCT node FROM new_rows WHERE state = 'pending') AS n;
    RETURN NULL;
END
$$;
CREATE TRIGGER notify_outbox_wakeup
    AFTER INSERT ON notify_outbox
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_wakeup();
