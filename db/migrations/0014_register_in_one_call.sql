-- 0014_register_in_one_call.sql: an accepted REGISTER in one statement,
-- and the phone's facts it was decided on, checked in that statement.
-- The registrar used to send BEGIN, one INSERT or DELETE per Contact, the
-- SELECT of the bindings for the 200, the registration state and COMMIT:
-- seven round trips, each waking a backend and setting up an executor.
-- Under a registration storm PostgreSQL spent 2.5 times Kamailio's CPU per
-- registration, most of it per statement, not per row.  These functions
-- run the same statements server-side (PL/pgSQL keeps their plans per
-- connection), in the one implicit transaction of the call.

-- Everything the registrar decides a REGISTER on (repo_sip.h's struct
-- sip_phone), and a digest of it: the registrar may decide on facts it
-- read earlier (the challenge's lookup, a refresh's) and sip_register()
-- binds only if the digest still matches, so no phone is accepted on facts
-- an AXL change has replaced.
CREATE VIEW sip_phone_facts AS
SELECT p.pkid, p.name, p.protocol = 'SIP' AS sip, s.enable_digest, s.nonce_validity_time,
       s.transport_type, s.device_security_mode, u.userid, -- NULL when none: indexed
       coalesce(u.digest_ha1_md5, '') AS ha1_md5, coalesce(u.digest_ha1_sha256, '') AS ha1_sha256,
       p.model, coalesce(l.fingerprint, '') AS lsc_fingerprint,
       md5(row(p.pkid, p.name, p.protocol, s.enable_digest, s.nonce_validity_time,
               s.transport_type, s.device_security_mode, u.userid, u.digest_ha1_md5,
               u.digest_ha1_sha256, p.model, l.fingerprint)::text) AS facts
  FROM phone p JOIN phone_security_profile s ON s.pkid = p.security_profile_id
  LEFT JOIN end_user u ON u.pkid = p.digest_user_id
  LEFT JOIN phone_lsc l ON l.phone_uuid = p.pkid;

-- An admitted REGISTER (RFC 3261 §10.3 steps 6-8): each Contact bound
-- (expires > 0) or removed (0), or every binding removed (p_contacts
-- NULL: "Contact: *"); then the phone's live bindings for the 200 and its
-- registration state (repo_registration.h): registered or unregistered,
-- and with a Call-ID other than the last accepted one, every NOTIFY
-- delivered before it confirmed.  One row per fact, in this order:
--   'b', id            a binding added or refreshed
--   'r', id            a binding removed
--   'c', contact, secs a live binding, for the 200's Contact list
--   'k', confirmed     NOTIFYs this registration confirmed
-- or only 'f' when p_facts is not the phone's digest in sip_phone_facts
-- any more (nothing changed: the registrar decides again on fresh facts).
-- A Contact whose binding has this Call-ID with a CSeq not below this one
-- raises AX409 (the whole REGISTER changes nothing).
CREATE FUNCTION sip_register(p_phone uuid, p_facts text, p_aor text, p_contacts text[],
                             p_expires integer[], p_call_id text, p_cseq bigint,
                             p_transport text, p_ip inet, p_port integer, p_node text,
                             p_ua text, p_cert_kind text, p_cert_serial text,
                             p_cert_not_after bigint)
RETURNS TABLE (kind text, row_id bigint, contact text, seconds bigint) LANGUAGE plpgsql AS $$
DECLARE
    live integer;
    v_outcome text;
BEGIN
    IF p_facts IS DISTINCT FROM (SELECT f.facts FROM sip_phone_facts f WHERE f.pkid = p_phone)
    THEN
        kind := 'f';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_contacts IS NULL THEN
        RETURN QUERY WITH d AS (DELETE FROM sip_registration r WHERE r.phone_id = p_phone
                                RETURNING r.id)
                     SELECT 'r', d.id, NULL::text, NULL::bigint FROM d;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_contacts, 1), 0) LOOP
        IF p_expires[i] = 0 THEN
            RETURN QUERY WITH d AS (DELETE FROM sip_registration r
                                     WHERE r.phone_id = p_phone AND r.contact_uri = p_contacts[i]
                                    RETURNING r.id)
                         SELECT 'r', d.id, NULL::text, NULL::bigint FROM d;
            CONTINUE;
        END IF;
        kind := 'b';
        contact := NULL;
        seconds := NULL;
        INSERT INTO sip_registration AS g (phone_id, aor, contact_uri, call_id, cseq, expires_at,
               transport, source_ip, source_port, node, user_agent, cert_kind, cert_serial,
               cert_not_after)
        VALUES (p_phone, p_aor, p_contacts[i], p_call_id, p_cseq,
                now() + make_interval(secs => p_expires[i]), p_transport, p_ip, p_port, p_node,
                p_ua, p_cert_kind, p_cert_serial,
                CASE WHEN p_cert_kind <> '' THEN to_timestamp(p_cert_not_after) END)
        ON CONFLICT (phone_id, contact_uri) DO UPDATE
           SET aor = EXCLUDED.aor, call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq,
               expires_at = EXCLUDED.expires_at, transport = EXCLUDED.transport,
               source_ip = EXCLUDED.source_ip, source_port = EXCLUDED.source_port,
               node = EXCLUDED.node, user_agent = EXCLUDED.user_agent,
               cert_kind = EXCLUDED.cert_kind, cert_serial = EXCLUDED.cert_serial,
               cert_not_after = EXCLUDED.cert_not_after, updated_at = now()
         WHERE g.call_id <> EXCLUDED.call_id OR g.cseq < EXCLUDED.cseq
        RETURNING g.id INTO row_id;
        IF row_id IS NULL THEN
            RAISE EXCEPTION 'CSeq not above the last REGISTER of this Call-ID'
                USING ERRCODE = 'AX409';
        END IF;
        RETURN NEXT;
    END LOOP;
    RETURN QUERY SELECT 'c', NULL::bigint, r.contact_uri,
                        greatest(1, ceil(extract(epoch FROM r.expires_at - now())))::bigint
                   FROM sip_registration r
                  WHERE r.phone_id = p_phone AND r.expires_at > now() ORDER BY r.id;
    GET DIAGNOSTICS live = ROW_COUNT;
    v_outcome := CASE WHEN live > 0 THEN 'registered' ELSE 'unregistered' END;
    WITH prev AS (SELECT st.call_id FROM phone_registration_state st WHERE st.phone_id = p_phone),
    conf AS (
        UPDATE notify_outbox o SET confirmed_at = clock_timestamp()
         WHERE v_outcome = 'registered' AND o.phone_id = p_phone AND o.state = 'delivered'
           AND o.confirmed_at IS NULL AND o.done_at <= clock_timestamp()
           AND EXISTS (SELECT 1 FROM prev WHERE prev.call_id <> '' AND prev.call_id <> p_call_id)
        RETURNING o.config_version),
    up AS (
        INSERT INTO phone_registration_state AS s (phone_id, last_register_at, outcome, status,
            call_id, source_ip, node, first_config_version, confirmed_version, confirmed_at)
        SELECT p.pkid, now(), v_outcome, 200, p_call_id, p_ip, p_node,
               CASE WHEN v_outcome = 'registered' THEN p.config_version END,
               (SELECT max(config_version) FROM conf),
               CASE WHEN EXISTS (SELECT 1 FROM conf) THEN now() END
          FROM phone p WHERE p.pkid = p_phone
        ON CONFLICT (phone_id) DO UPDATE SET last_register_at = now(),
            outcome = EXCLUDED.outcome, status = 200, call_id = EXCLUDED.call_id,
            source_ip = EXCLUDED.source_ip, node = EXCLUDED.node,
            first_config_version = coalesce(s.first_config_version,
                                            EXCLUDED.first_config_version),
            confirmed_version = coalesce(greatest(s.confirmed_version,
                                                  EXCLUDED.confirmed_version),
                                         s.confirmed_version),
            confirmed_at = coalesce(EXCLUDED.confirmed_at, s.confirmed_at))
    -- up runs whether read or not (a data-modifying WITH always does)
    SELECT 'k', count(*), NULL, NULL INTO kind, row_id, contact, seconds FROM conf;
    RETURN NEXT;
END $$;
