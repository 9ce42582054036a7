-- Sums of counted reports per project for a year up to a month (lights, the progress
-- roll-up, arena measures, report checks) read from this index alone, in project order,
-- without visiting the wide report rows (SQLite).
CREATE INDEX report_sum_idx ON report(year, project_id, month, status, month_amount);
