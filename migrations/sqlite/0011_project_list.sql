-- The project list at province scale (issue 3).
--
-- One narrow index carries every column the list filters on, in table order: counting a
-- filtered list and finding one page of it read this index instead of the wide rows, and
-- only the page's twenty projects are read in full. It starts with (sort, id), so it
-- replaces project_sort_idx.
CREATE INDEX project_list_idx ON project(sort, id, active, stage, level, category, division_id,
    contact_leader_id, responsible_unit_id, owner_unit_id, total_investment);
DROP INDEX project_sort_idx;

-- The projects of a tag, read from the index alone.
DROP INDEX project_tag_tag_idx;
CREATE INDEX project_tag_tag_idx ON project_tag(tag, project_id);

-- Free text over name, code and owner: a trigram index finds the projects containing a
-- text of three characters or more without reading every row. It indexes the project
-- table's own columns (external content) and the triggers keep it in step with every
-- insert, change and delete.
CREATE VIRTUAL TABLE project_fts USING fts5(
    name, code, owner_name, content='project', content_rowid='id', tokenize='trigram'
);
INSERT INTO project_fts(project_fts) VALUES ('rebuild');
CREATE TRIGGER project_fts_insert AFTER INSERT ON project BEGIN
    INSERT INTO project_fts(rowid, name, code, owner_name)
    VALUES (new.id, new.name, new.code, new.owner_name);
END;
CREATE TRIGGER project_fts_delete AFTER DELETE ON project BEGIN
    INSERT INTO project_fts(project_fts, rowid, name, code, owner_name)
    VALUES ('delete', old.id, old.name, old.code, old.owner_name);
END;
CREATE TRIGGER project_fts_update AFTER UPDATE OF name, code, owner_name ON project
WHEN old.name IS NOT new.name OR old.code IS NOT new.code OR old.owner_name IS NOT new.owner_name
BEGIN
    INSERT INTO project_fts(project_fts, rowid, name, code, owner_name)
    VALUES ('delete', old.id, old.name, old.code, old.owner_name);
    INSERT INTO project_fts(rowid, name, code, owner_name)
    VALUES (new.id, new.name, new.code, new.owner_name);
END;
