-- A nurse records that she told a clinician about a suicidality alert: who
-- told whom, and when (the alert stays open until a clinician acknowledges it).
ALTER TABLE alerts ADD COLUMN escalated_at_us INTEGER;
ALTER TABLE alerts ADD COLUMN escalated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN escalated_to TEXT NOT NULL DEFAULT '';
