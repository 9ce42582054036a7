-- The project list at province scale (issue 3): the same narrow index in table order
-- carrying the filtered columns as on SQLite (it replaces project_sort_idx), and the
-- projects of a tag read from the index alone. Free text stays a LIKE here.
CREATE INDEX project_list_idx ON project(sort, id, active, stage, level, category, division_id,
    contact_leader_id, responsible_unit_id, owner_unit_id, total_investment);
DROP INDEX project_sort_idx;
DROP INDEX project_tag_tag_idx;
CREATE INDEX project_tag_tag_idx ON project_tag(tag, project_id);
