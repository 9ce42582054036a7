-- A digest of each stored light's whole result (light, figures, reasons, explanation,
-- inputs, rule version): a recomputation rewrites only the lights whose result changed,
-- reading the digests from this index alone. `computed_at` stays the time a light took
-- its current result; the period records when its lights were last recomputed.
ALTER TABLE light ADD COLUMN digest INTEGER;
CREATE INDEX light_digest_idx ON light(year, month, project_id, digest);
ALTER TABLE report_period ADD COLUMN lights_at TEXT;
