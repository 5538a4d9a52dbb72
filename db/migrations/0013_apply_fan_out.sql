-- 0013_apply_fan_out.sql: an apply answers before its phones are queued.
-- Queueing 40,000 outbox rows (each with its config version bump and its
-- foreign-key checks) took about 3 s inside the SOAP call.  Now the call
-- records the request with the number of phones it targets and commits;
-- the instances' outbox threads then queue the phones in batches, in name
-- order, each batch one transaction that moves fan_out_after on, until
-- fanned_out.  A request recorded before this migration was queued whole.
ALTER TABLE apply_request
    ADD COLUMN targeted integer NOT NULL DEFAULT 0 CHECK (targeted >= 0),
    ADD COLUMN fan_out_after text,
    ADD COLUMN fanned_out boolean NOT NULL DEFAULT true;
ALTER TABLE apply_request ALTER COLUMN fanned_out SET DEFAULT false;
UPDATE apply_request r
   SET targeted = (SELECT count(*) FROM notify_outbox o WHERE o.request_id = r.id);

-- Finds the requests still to queue without reading the finished ones.
CREATE INDEX apply_request_fan_out ON apply_request (id) WHERE NOT fanned_out;

-- A batch is the next phones of a profile after the last one queued: the
-- profile's phones in name order (it replaces the profile-only index,
-- which every other lookup by profile can use as well).
CREATE INDEX phone_security_profile_name ON phone (security_profile_id, name);
DROP INDEX phone_security_profile_id;

-- Wakes every instance's outbox thread (an empty payload names no node):
-- any of them may queue the request's phones.
CREATE FUNCTION apply_request_wakeup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('axlprov_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER apply_request_wakeup
    AFTER INSERT ON apply_request
    FOR EACH STATEMENT EXECUTE FUNCTION apply_request_wakeup();

-- notify_outbox.registration_id was written when a phone was queued and
-- never read (the sender looks up the phone's live bindings when it claims
-- the row), and its ON DELETE SET NULL made the deletion of every binding
-- (each un-REGISTER, each expiry) scan the whole outbox, which grows by a
-- row per phone per apply: un-REGISTERs slowed down as applies piled up
-- (20 bindings deleted beside 200,000 outbox rows: 284 ms, 1.6 ms without).
ALTER TABLE notify_outbox DROP COLUMN registration_id;

-- The same for phone_id's ON DELETE SET NULL: removing a phone scanned the
-- whole outbox (18 ms a phone with 200,000 rows, 1.3 ms with this index).
-- The index also serves the registrar's confirmation lookup (a phone's
-- delivered, unconfirmed rows), which had a partial index of its own.
CREATE INDEX notify_outbox_phone ON notify_outbox (phone_id);
DROP INDEX notify_outbox_unconfirmed;

-- Room in each page for new versions of its rows, so that more of an
-- apply's config version bumps are HOT updates (config_version is in no
-- index) rather than a new entry in each of the table's indexes: the
-- UPDATE of 40,000 phones took 0.65-0.97 s instead of 1.8 s.  Pages
-- written from now on; VACUUM FULL phone applies it to the existing ones.
ALTER TABLE phone SET (fillfactor = 70);
