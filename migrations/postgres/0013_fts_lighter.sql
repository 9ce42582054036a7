-- Migration 13 changes SQLite's trigram index (project_fts); PostgreSQL has none (its
-- free text is an ILIKE), so nothing changes here.
SELECT 1;
