-- 0005_drop_axl_ref_uuid.sql: the uuid of a reference kept by name is now
-- computed inline by the phone queries (src/repo_phone.c); a SQL function
-- call per reference per row cost more than the rest of the query.  One
-- definition, not two.
DROP FUNCTION axl_ref_uuid(text, text);
