-- The limit for the bulk addPhone check: one single-row INSERT into phone
-- per transaction (a random SEP name; the model's standard profile).
\set n random(1048576, 281474976710655)
INSERT INTO phone (name, model, protocol, security_profile_id)
VALUES ('SEP' || lpad(upper(to_hex(:n::bigint)), 12, '0'), 'Cisco 8845', 'SIP', :profile::uuid)
RETURNING pkid::text;
