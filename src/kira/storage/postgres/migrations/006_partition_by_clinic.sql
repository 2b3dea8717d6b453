-- kira registry schema, version 6 (PostgreSQL only): the three tables that
-- grow with every infusion -- sessions, vitals and audit_log -- become
-- declaratively partitioned by clinic: PARTITION BY HASH (clinic_id) into
-- 16 partitions each.
--
-- Why by clinic, and why not also by time: every query kira issues names
-- one clinic_id (store.h), so a clinic's daily work prunes to one partition
-- per table (at plan time, or at executor start-up for prepared statements),
-- and each partition's indexes stay 1/16 of the size. A partitioned table's
-- primary key must contain every partition column; the keys are
-- (clinic_id, id) and (clinic_id, seq), which contain no time, so a time
-- level would need a different primary key (and ids that carry their
-- time). Hash rather than list partitions: a new clinic needs no DDL while
-- the registry is running. Going further (more clinics, regions) is
-- docs/deploy.md: more partitions (re-partition offline), read replicas
-- per region, and Citus distributing the same tables by clinic_id.
--
-- The conversion keeps names: columns, CHECK and NOT NULL constraints
-- (LIKE), the primary key, indexes, triggers (audit_log is append-only) and
-- foreign keys in both directions (other tables referencing sessions --
-- including ones added by earlier migrations -- are re-pointed), so later
-- migrations can rely on them.
DO $$
DECLARE
  t text;
  r record;
  i int;
  redo text[];
  stmt text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sessions', 'vitals', 'audit_log'] LOOP
    IF (SELECT relkind FROM pg_class WHERE oid = to_regclass(t)) = 'p' THEN
      CONTINUE;  -- already partitioned
    END IF;
    redo := '{}';
    -- Primary key and unique constraints, then foreign keys of the table
    -- itself and of tables that reference it.
    FOR r IN
      SELECT c.conname, c.conrelid::regclass::text AS tbl, pg_get_constraintdef(c.oid) AS def, c.contype
      FROM pg_constraint c
      WHERE c.conparentid = 0  -- not the per-partition copies PostgreSQL makes itself
        AND ((c.conrelid = to_regclass(t) AND c.contype IN ('p', 'u', 'f'))
          OR (c.confrelid = to_regclass(t) AND c.conrelid <> to_regclass(t) AND c.contype = 'f'))
      ORDER BY CASE c.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, c.conname
    LOOP
      redo := redo || format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                             CASE WHEN r.tbl = t OR r.tbl LIKE '%.' || t THEN quote_ident(t) ELSE r.tbl END,
                             r.conname, r.def);
    END LOOP;
    -- Plain indexes (those behind constraints come back with them).
    FOR r IN
      SELECT pg_get_indexdef(x.indexrelid) AS def
      FROM pg_index x
      WHERE x.indrelid = to_regclass(t)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
    LOOP
      redo := redo || r.def;
    END LOOP;
    FOR r IN SELECT pg_get_triggerdef(g.oid) AS def FROM pg_trigger g WHERE g.tgrelid = to_regclass(t) AND NOT g.tgisinternal
    LOOP
      redo := redo || r.def;
    END LOOP;

    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED '
                   'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY HASH (clinic_id)', t || '_partitioned', t);
    FOR i IN 0..15 LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
                     t || '_p' || lpad(i::text, 2, '0'), t || '_partitioned', i);
    END LOOP;
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', t || '_partitioned', t);
    EXECUTE format('DROP TABLE %I CASCADE', t);  -- also drops the foreign keys pointing at it
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_partitioned', t);
    FOREACH stmt IN ARRAY redo LOOP
      EXECUTE stmt;
    END LOOP;
  END LOOP;
END;
$$;

-- A clinic's day list (its sessions between two instants) is one index
-- range in one partition.
CREATE INDEX IF NOT EXISTS sessions_by_day ON sessions (clinic_id, started_at_us);
