-- The limit for updatePhone: one single-row UPDATE by name of a random
-- seeded phone per transaction.
\set i random(1, :nphones)
UPDATE phone SET description = 'bench update ' || :i::text
 WHERE name = 'SEP' || lpad(upper(to_hex(:i::bigint)), 12, '0');
