-- 0015_phone_facts_changed.sql: the registrar hears when the phone facts
-- it remembers change, and sip_register() keeps its plans.

-- The registrar decides REGISTERs, challenges included, on phone facts it
-- remembers (src/sip_facts.h).  Every statement that changes what
-- sip_phone_facts shows notifies axlprov_facts, so each registrar forgets
-- them before it decides on them again.  Per statement, not per row: one
-- notification for a bulk change (PostgreSQL folds repeats within a
-- transaction too); the columns listed are the view's, so an apply's
-- config_version or a description does not count.
CREATE FUNCTION sip_phone_facts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('axlprov_facts', '');
    RETURN NULL;
END $$;

CREATE TRIGGER phone_facts_changed
    AFTER INSERT OR DELETE OR TRUNCATE
       OR UPDATE OF name, protocol, model, security_profile_id, digest_user_id ON phone
    FOR EACH STATEMENT EXECUTE FUNCTION sip_phone_facts_changed();
CREATE TRIGGER profile_facts_changed
    AFTER DELETE OR TRUNCATE
       OR UPDATE OF enable_digest, nonce_validity_time, transport_type, device_security_mode
       ON phone_security_profile
    FOR EACH STATEMENT EXECUTE FUNCTION sip_phone_facts_changed();
CREATE TRIGGER end_user_facts_changed
    AFTER DELETE OR TRUNCATE OR UPDATE OF userid, digest_ha1_md5, digest_ha1_sha256 ON end_user
    FOR EACH STATEMENT EXECUTE FUNCTION sip_phone_facts_changed();
CREATE TRIGGER lsc_facts_changed
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE ON phone_lsc
    FOR EACH STATEMENT EXECUTE FUNCTION sip_phone_facts_changed();

-- With custom plans (PostgreSQL's choice for the first calls, and for
-- array arguments after them) each of its statements was planned again on
-- every call: a third of its time in a registration storm.  Every lookup
-- in it is by key (0014), so one generic plan per statement serves.
ALTER FUNCTION sip_register(uuid[], text[], text[], text[], bigint[], text[], inet[], integer[],
                            text[], text[], text[], bigint[], text, integer[], text[], integer[])
    SET plan_cache_mode = force_generic_plan;
