-- bench/seed.sql: the benchmark's data, straight into the tables of
-- db/migrations/0001 and 0003 (psql -v nprof=N -v nphones=M -f bench/seed.sql).
--
-- Profiles BenchProfile-00001 .. : SIP profiles of five Cisco models with a
-- MIC, every fourth one Authenticated (so TLS).  Phones SEP000000000001 ..
-- (hexadecimal): profile i % nprof's model and protocol, so every profile is
-- in use by about nphones / nprof phones.
\set ON_ERROR_STOP 1

INSERT INTO phone_security_profile
       (name, phone_type, protocol, description, device_security_mode, transport_type)
SELECT 'BenchProfile-' || lpad(i::text, 5, '0'),
       (ARRAY['Cisco 8845', 'Cisco 8865', 'Cisco 7841', 'Cisco 8851', 'Cisco 8861'])[1 + i % 5],
       'SIP',
       'bench seed ' || i,
       CASE WHEN i % 4 = 0 THEN 'Authenticated' ELSE 'Non Secure' END,
       CASE WHEN i % 4 = 0 THEN 'TLS' ELSE 'TCP+UDP' END
  FROM generate_series(1, :nprof) AS i;

INSERT INTO phone (name, description, model, protocol, security_profile_id)
SELECT 'SEP' || lpad(upper(to_hex(i)), 12, '0'),
       'bench seed phone ' || i,
       p.phone_type, p.protocol, p.pkid
  FROM generate_series(1, :nphones) AS i
  JOIN phone_security_profile p
    ON p.name = 'BenchProfile-' || lpad((1 + (i - 1) % :nprof)::text, 5, '0');

VACUUM ANALYZE phone_security_profile;
VACUUM ANALYZE phone;
CHECKPOINT;
