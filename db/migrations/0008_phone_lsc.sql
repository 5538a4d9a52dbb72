-- 0008_phone_lsc.sql: the LSC (locally significant certificate) the CAPF CA
-- issued to a phone, and which models ship a MIC.

-- At most one current LSC per phone: `axlprovd capf issue` replaces the
-- row, a completed certificateOperation Delete removes it.  The registrar
-- accepts an LSC only if its fingerprint equals the one recorded here, so
-- a replaced or deleted LSC is refused from then on.  certificate is the
-- PEM certificate (public); no private key is ever stored.
CREATE TABLE phone_lsc (
    phone_uuid  uuid PRIMARY KEY REFERENCES phone (pkid) ON DELETE CASCADE,
    serial      text NOT NULL CHECK (serial ~ '^[0-9A-F]{1,64}$'),
    fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    not_after   timestamptz NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    certificate text NOT NULL CHECK (certificate LIKE '-----BEGIN CERTIFICATE-----%')
);

-- The 7906 and 7911 are of the 7941's generation and leave the factory with
-- a MIC like it (0003 had counted them with the older 7940/7960, which have
-- none).
UPDATE phone_model SET mic = true WHERE name IN ('Cisco 7906', 'Cisco 7911');
