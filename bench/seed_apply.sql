-- bench/seed_apply.sql: the apply scenario's phones, straight into the tables
-- of db/migrations/0001 and 0003 (run.py runs it just before the scenario):
--
--   psql -v nphones=N -v profile=NAME -v password=PW -f bench/seed_apply.sql
--
-- One SIP profile NAME for the Cisco 8845 with digest authentication on
-- (every other column at the table's default: Non Secure, TCP+UDP), N end
-- users bp00001 .. with the digest password PW (kept as RFC 7616 HA1 hashes,
-- realm ccmsipline, as the server stores them), and N phones
-- SEPABFF00000001 .. (hexadecimal), each using that profile with its own
-- digest user.  The SIPp phones REGISTER as bp00001 ..., which the registrar
-- maps to the one phone whose digest user that is.
--
-- SEPABFF00...: the main seed's phones are SEP000000..., bench/axl.lua's
-- addPhone names SEP<pid><run><thread>..., whose run number never reaches
-- FF nor its thread number 00.
--
-- Idempotent: run again (with another password or profile), it updates the
-- same rows.
\set ON_ERROR_STOP 1

INSERT INTO phone_security_profile (name, phone_type, protocol, description, enable_digest)
VALUES (:'profile', 'Cisco 8845', 'SIP', 'bench apply: digest over UDP', true)
ON CONFLICT (name) DO UPDATE SET enable_digest = true;

INSERT INTO end_user (userid, last_name, digest_ha1_md5, digest_ha1_sha256)
SELECT u, 'Bench Phone ' || i,
       md5(u || ':ccmsipline:' || :'password'),
       encode(sha256(convert_to(u || ':ccmsipline:' || :'password', 'UTF8')), 'hex')
  FROM generate_series(1, :nphones) AS i,
       LATERAL (SELECT 'bp' || lpad(i::text, 5, '0') AS u) AS x
ON CONFLICT (userid) DO UPDATE
   SET digest_realm = 'ccmsipline',
       digest_ha1_md5 = EXCLUDED.digest_ha1_md5,
       digest_ha1_sha256 = EXCLUDED.digest_ha1_sha256;

INSERT INTO phone (name, description, model, protocol, security_profile_id, digest_user_id)
SELECT 'SEPABFF00' || lpad(upper(to_hex(i)), 6, '0'),
       'bench apply phone ' || i, 'Cisco 8845', 'SIP', p.pkid, u.pkid
  FROM generate_series(1, :nphones) AS i
  JOIN phone_security_profile p ON p.name = :'profile'
  JOIN end_user u ON u.userid = 'bp' || lpad(i::text, 5, '0')
ON CONFLICT (name) DO UPDATE
   SET security_profile_id = EXCLUDED.security_profile_id,
       digest_user_id = EXCLUDED.digest_user_id;

ANALYZE phone_security_profile;
ANALYZE end_user;
ANALYZE phone;
CHECKPOINT;
