-- The trigram index costs a 100,000-row import less (issue 3):
--
-- * columnsize=0: FTS5 no longer keeps a row of column sizes per project in
--   project_fts_docsize. Only ranking (bm25) reads those sizes, and the project list only
--   filters on MATCH, never ranks.
-- * hashsize 8 MiB (FTS5's default is 1 MiB): the postings of one transaction gather in
--   memory up to this size before FTS5 writes them out as a segment, so a bulk fill writes
--   a few large segments instead of many small ones that it must then merge. Measured on
--   100,000 generated projects: filling the index took a third less time, and the
--   process grew by about 12 MiB while it did.
--
-- The options of an FTS5 table are fixed when it is created, so the index is made anew
-- and rebuilt from the project table. The triggers on project that keep it in step
-- (migration 0011) stay: SQLite finds project_fts by name each time a trigger runs.
DROP TABLE project_fts;
CREATE VIRTUAL TABLE project_fts USING fts5(
    name, code, owner_name, content='project', content_rowid='id', tokenize='trigram',
    columnsize=0
);
INSERT INTO project_fts(project_fts, rank) VALUES ('hashsize', 8388608);
INSERT INTO project_fts(project_fts) VALUES ('rebuild');
