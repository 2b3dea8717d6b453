-- kira registry schema, version 7 (PostgreSQL): Idempotency-Key of write requests.
-- A retried write (the client did not see the answer: lost connection, a
-- kira serve instance or the database primary died) carries the same key;
-- the row, written in the same transaction as the write, makes the retry
-- return the first answer instead of writing again (registry/idempotency.h).
-- Keys belong to one user of one clinic; rows older than a day are purged.
CREATE TABLE idempotency_keys (
  clinic_id       TEXT COLLATE "C" NOT NULL REFERENCES clinics (clinic_id),
  principal       TEXT COLLATE "C" NOT NULL,
  key             TEXT COLLATE "C" NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  request_hash    TEXT NOT NULL,
  created_at_us   BIGINT NOT NULL,
  response_status INTEGER,
  response_body   TEXT,
  PRIMARY KEY (clinic_id, principal, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (clinic_id, created_at_us);
