-- 0012_binding_lookup.sql: the index that finds a phone's live bindings.
-- An apply looks up each targeted phone's bindings (phone_id = ... AND
-- expires_at > now()), and so does every claim of the outbox sender.  With
-- only the (phone_id, contact_uri) and (expires_at) indexes, a planner
-- without fresh statistics on sip_registration (a table that just filled
-- up in a registration storm) ANDs both bitmaps, reading the whole expiry
-- index once per phone: quadratic, 86 s for an apply to 40,000 phones
-- instead of 3.  One index on both columns answers each lookup alone.
CREATE INDEX sip_registration_phone_live ON sip_registration (phone_id, expires_at);
