-- The limit for updatePhoneSecurityProfile: one single-row UPDATE by name of
-- a random seeded profile per transaction.
\set i random(1, :nprof)
UPDATE phone_security_profile SET description = 'bench update ' || :i::text
 WHERE name = 'BenchProfile-' || lpad(:i::text, 5, '0');
