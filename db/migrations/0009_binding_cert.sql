-- 0009_binding_cert.sql: the certificate a binding was admitted with.  A
-- phone registered over TLS presented an LSC or a MIC; the binding keeps
-- which kind, its serial and its expiry, so that an operator can see what
-- each registered phone proved and when it stops being able to.  Bindings
-- over UDP and TCP keep none.
ALTER TABLE sip_registration
    ADD COLUMN cert_kind text NOT NULL DEFAULT '' CHECK (cert_kind IN ('', 'LSC', 'MIC')),
    ADD COLUMN cert_serial text NOT NULL DEFAULT '' CHECK (cert_serial ~ '^[0-9A-F]{0,64}$'),
    ADD COLUMN cert_not_after timestamptz,
    ADD CHECK ((cert_kind = '') = (transport <> 'tls')),
    ADD CHECK ((cert_kind = '') = (cert_not_after IS NULL));

-- The registrar drops a phone's TLS bindings when its LSC is replaced or
-- revoked (LISTEN axlprov_lsc).
CREATE INDEX sip_registration_tls ON sip_registration (phone_id) WHERE transport = 'tls';
