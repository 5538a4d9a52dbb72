-- 0004_name_order_indexes.sql: lists are ordered by name in byte order
-- (ORDER BY name COLLATE "C") so that skip/first pages are stable on any
-- database collation.  A C-collation index serves that order and prefix
-- LIKE searches alike, so a page of 100 reads 100 index entries instead of
-- sorting the table; it replaces the text_pattern_ops indexes.
DROP INDEX phone_security_profile_name_pattern;
CREATE INDEX phone_security_profile_name_c ON phone_security_profile (name COLLATE "C");
DROP INDEX phone_name_pattern;
CREATE INDEX phone_name_c ON phone (name COLLATE "C");
