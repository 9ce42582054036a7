-- project_division_idx (division_id) is the first column of project_name_idx
-- (division_id, name): every lookup by division, foreign key checks included, can use
-- the wider index, and each new project paid for one more index entry (issue 3, the
-- 100,000-row import).
DROP INDEX project_division_idx;
