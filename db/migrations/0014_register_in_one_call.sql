-- 0014_register_in_one_call.sql: accepted REGISTERs written in one
-- statement, several at once, each checked against the phone facts it
-- was decided on.
-- The registrar used to send BEGIN, one INSERT or DELETE per Contact, the
-- SELECT of the bindings for the 200, the registration state and COMMIT:
-- seven round trips, each waking a backend and setting up an executor.
-- Under a registration storm PostgreSQL spent 2.5 times Kamailio's CPU per
-- registration, most of it per statement, not per row.  sip_register()
-- writes a batch of REGISTERs (the registrar's database threads group the
-- ones accepted meanwhile) with one statement per step for all of them, in
-- the one implicit transaction of the call: one durable commit.

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
  FROM phone p
  -- OFFSET 0: looked up by key for each phone, not hashed whole per lookup
  JOIN LATERAL (SELECT * FROM phone_security_profile s
                 WHERE s.pkid = p.security_profile_id OFFSET 0) s ON true
  LEFT JOIN end_user u ON u.pkid = p.digest_user_id
  LEFT JOIN phone_lsc l ON l.phone_uuid = p.pkid;

-- Accepted REGISTERs (RFC 3261 §10.3 steps 6-8), each of another phone.
-- Request q: p_phone[q] ... p_cert_not_after[q] (the facts it was decided
-- on, its To URI, Call-ID, CSeq, transport, source, User-Agent and
-- certificate).  Its Contacts: the items k with c_req[k] = q, each bound
-- for c_expires[k] seconds, or removed (0), or every binding of the phone
-- removed (c_contact NULL: "Contact: *").  Then each request's live
-- bindings for its 200, and the phone's registration state (see
-- repo_registration.h): registered or unregistered, and with a Call-ID
-- other than the last accepted one, every NOTIFY delivered before it
-- confirmed.  Rows, by request:
--   'f'                 its facts are not the phone's any more: nothing done
--   's'                 a Contact's binding has this Call-ID with a CSeq
--                       not below, or a Contact is listed twice: nothing done
--   'r', id             a binding removed
--   'b', id             a binding added or refreshed
--   'c', contact, secs  a live binding, for the 200's Contact list
--   'k', confirmed      NOTIFYs this registration confirmed
-- A REGISTER of the same Call-ID committed in between raises AX409.
CREATE FUNCTION sip_register(p_phone uuid[], p_facts text[], p_aor text[], p_call_id text[],
                             p_cseq bigint[], p_transport text[], p_ip inet[],
                             p_port integer[], p_ua text[], p_cert_kind text[],
                             p_cert_serial text[], p_cert_not_after bigint[], p_node text,
                             c_req integer[], c_contact text[], c_expires integer[])
RETURNS TABLE (req integer, kind text, row_id bigint, contact text, seconds bigint)
LANGUAGE plpgsql
-- Its plans are made once per connection, often while sip_registration is
-- still empty (a storm after a start): without this a plan that scans the
-- table whole when it held nothing goes on doing so as it fills.
SET enable_seqscan = off
AS $$
DECLARE
    stale integer[];
    refused integer[];
    skip integer[];
    n bigint;
BEGIN
    -- Every lookup into a table is a LATERAL subquery with OFFSET 0 or a
    -- scalar one with LIMIT 1 (not EXISTS): the planner cannot turn it
    -- into a hash over the whole table, which a cached plan, not knowing
    -- how few requests come, may otherwise do.
    SELECT coalesce(array_agg(r.q::integer), '{}') INTO stale
      FROM unnest(p_phone, p_facts) WITH ORDINALITY AS r(phone, facts, q)
      LEFT JOIN LATERAL (SELECT f.facts FROM sip_phone_facts f WHERE f.pkid = r.phone
                         OFFSET 0) f ON true
     WHERE f.facts IS DISTINCT FROM r.facts;
    SELECT coalesce(array_agg(DISTINCT c.q), '{}') INTO refused
      FROM unnest(c_req, c_contact, c_expires) AS c(q, contact, expires)
     WHERE c.expires > 0 AND NOT c.q = ANY(stale)
       AND ((SELECT true FROM sip_registration g
              WHERE g.phone_id = p_phone[c.q] AND g.contact_uri = c.contact
                AND g.call_id = p_call_id[c.q] AND g.cseq >= p_cseq[c.q] LIMIT 1)
            OR (SELECT count(*) FROM unnest(c_req, c_contact) AS d(q, contact)
                 WHERE d.q = c.q AND d.contact = c.contact) > 1);
    skip := stale || refused;
    RETURN QUERY SELECT x.q, 'f', NULL::bigint, NULL::text, NULL::bigint FROM unnest(stale) x(q)
       UNION ALL SELECT x.q, 's', NULL::bigint, NULL::text, NULL::bigint FROM unnest(refused) x(q);

    RETURN QUERY WITH d AS (
        DELETE FROM sip_registration g
         WHERE g.id = ANY (ARRAY(
               SELECT x.id FROM unnest(c_req, c_contact, c_expires) AS c(q, contact, expires)
                CROSS JOIN LATERAL (SELECT r.id FROM sip_registration r
                                     WHERE r.phone_id = p_phone[c.q]
                                       AND (c.contact IS NULL OR r.contact_uri = c.contact)
                                    OFFSET 0) x
                WHERE c.expires = 0 AND NOT c.q = ANY(skip)))
        RETURNING g.phone_id, g.id)
      SELECT array_position(p_phone, d.phone_id), 'r', d.id, NULL::text, NULL::bigint FROM d;

    RETURN QUERY WITH b AS (
        INSERT INTO sip_registration AS g (phone_id, aor, contact_uri, call_id, cseq, expires_at,
               transport, source_ip, source_port, node, user_agent, cert_kind, cert_serial,
               cert_not_after)
        SELECT p_phone[c.q], p_aor[c.q], c.contact, p_call_id[c.q], p_cseq[c.q],
               now() + make_interval(secs => c.expires), p_transport[c.q], p_ip[c.q],
               p_port[c.q], p_node, p_ua[c.q], p_cert_kind[c.q], p_cert_serial[c.q],
               CASE WHEN p_cert_kind[c.q] <> '' THEN to_timestamp(p_cert_not_after[c.q]) END
          FROM unnest(c_req, c_contact, c_expires) AS c(q, contact, expires)
         WHERE c.expires > 0 AND NOT c.q = ANY(skip)
        ON CONFLICT (phone_id, contact_uri) DO UPDATE
           SET aor = EXCLUDED.aor, call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq,
               expires_at = EXCLUDED.expires_at, transport = EXCLUDED.transport,
               source_ip = EXCLUDED.source_ip, source_port = EXCLUDED.source_port,
               node = EXCLUDED.node, user_agent = EXCLUDED.user_agent,
               cert_kind = EXCLUDED.cert_kind, cert_serial = EXCLUDED.cert_serial,
               cert_not_after = EXCLUDED.cert_not_after, updated_at = now()
         WHERE g.call_id <> EXCLUDED.call_id OR g.cseq < EXCLUDED.cseq
        RETURNING g.id, g.phone_id, g.contact_uri)
      SELECT c.q, 'b', b.id, NULL::text, NULL::bigint
        FROM b JOIN unnest(c_req, c_contact) AS c(q, contact)
          ON p_phone[c.q] = b.phone_id AND c.contact = b.contact_uri;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> (SELECT count(*) FROM unnest(c_req, c_expires) AS c(q, expires)
              WHERE c.expires > 0 AND NOT c.q = ANY(skip)) THEN
        RAISE EXCEPTION 'CSeq not above the last REGISTER of this Call-ID'
            USING ERRCODE = 'AX409';
    END IF;

    RETURN QUERY SELECT x.q::integer, 'c', NULL::bigint, g.contact_uri,
                        greatest(1, ceil(extract(epoch FROM g.expires_at - now())))::bigint
                   FROM unnest(p_phone) WITH ORDINALITY AS x(phone, q)
                  CROSS JOIN LATERAL (SELECT r.id, r.contact_uri, r.expires_at
                                        FROM sip_registration r
                                       WHERE r.phone_id = x.phone AND r.expires_at > now()
                                      OFFSET 0) g
                  WHERE NOT x.q = ANY(skip)
                  ORDER BY x.q, g.id;

    RETURN QUERY
    WITH ev AS (
        SELECT x.q::integer AS q, x.phone, x.call_id, x.ip,
               CASE WHEN (SELECT true FROM sip_registration g
                           WHERE g.phone_id = x.phone AND g.expires_at > now() LIMIT 1)
                    THEN 'registered' ELSE 'unregistered' END AS outcome,
               (SELECT st.call_id FROM phone_registration_state st
                 WHERE st.phone_id = x.phone) AS prev_call_id
          FROM unnest(p_phone, p_call_id, p_ip) WITH ORDINALITY AS x(phone, call_id, ip, q)
         WHERE NOT x.q = ANY(skip)),
    conf AS (
        UPDATE notify_outbox o SET confirmed_at = clock_timestamp()
         WHERE o.id = ANY (ARRAY(
               SELECT n.id FROM ev
                CROSS JOIN LATERAL (SELECT oo.id FROM notify_outbox oo
                                     WHERE oo.phone_id = ev.phone AND oo.state = 'delivered'
                                       AND oo.confirmed_at IS NULL
                                       AND oo.done_at <= clock_timestamp()
                                    OFFSET 0) n
                WHERE ev.outcome = 'registered' AND ev.prev_call_id <> ''
                  AND ev.prev_call_id <> ev.call_id))
        RETURNING o.phone_id, o.config_version),
    up AS (
        INSERT INTO phone_registration_state AS s (phone_id, last_register_at, outcome, status,
            call_id, source_ip, node, first_config_version, confirmed_version, confirmed_at)
        SELECT p.pkid, now(), ev.outcome, 200, ev.call_id, ev.ip, p_node,
               CASE WHEN ev.outcome = 'registered' THEN p.config_version END,
               (SELECT max(cf.config_version) FROM conf cf WHERE cf.phone_id = p.pkid),
               CASE WHEN EXISTS (SELECT 1 FROM conf cf WHERE cf.phone_id = p.pkid)
                    THEN now() END
          FROM ev CROSS JOIN LATERAL (SELECT p.pkid, p.config_version FROM phone p
                                       WHERE p.pkid = ev.phone OFFSET 0) p
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
    SELECT ev.q, 'k', (SELECT count(*) FROM conf cf WHERE cf.phone_id = ev.phone),
           NULL::text, NULL::bigint
      FROM ev;
END $$;
