-- pgbench script: the rows GET /api/v1/sectors serves, as a plain client reads them.
SELECT code, parent_code, name_en, name_vi FROM sectors ORDER BY sort_key;
