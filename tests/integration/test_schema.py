"""The schema after every migration (db/migrations): each foreign key has an
index leading with its columns, so deleting or updating a referenced row
(a binding at each un-REGISTER and expiry, a phone, a request) finds the
rows that refer to it through that index instead of reading their whole
table.  notify_outbox grows by a row per phone per apply: an unindexed
reference to a binding made every un-REGISTER slower as applies piled up.

The phone models are the one exception: a fixed catalogue (migration 0002)
that nothing deletes from.
"""

STATIC = {"phone_model"}


def test_every_foreign_key_is_indexed(pg):
    rows = pg.sql(
        "SELECT c.conrelid::regclass, c.conname, c.confrelid::regclass "
        "  FROM pg_constraint c "
        " WHERE c.contype = 'f' AND NOT EXISTS ("
        "   SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid "
        "      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)")
    unindexed = [r for r in rows if r[2] not in STATIC]
    assert unindexed == [], "foreign keys without an index: %s" % unindexed
    # The check sees foreign keys at all (and the exception is one).
    assert any(r[2] == "phone_model" for r in rows)


def test_the_outbox_refers_to_no_binding(pg):
    """The sender reads a phone's live bindings when it claims a row; a
    reference to the binding at queueing time was never read."""
    assert pg.sql("SELECT column_name FROM information_schema.columns "
                  " WHERE table_name = 'notify_outbox' AND column_name = 'registration_id'") == []
