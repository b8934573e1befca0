-- Example rows for Postgres mode, shaped like the platform's own: a team
-- on the pro plan with two apps. Load after `rhone-controller migrate`:
--   psql "$URL" -f examples/postgres/seed.sql
-- The controller converges them: acme-web in iad (primary), fra and nrt
-- (two machines), acme-api in fra only. Re-running replaces the rows.

BEGIN;

DELETE FROM teams WHERE id = '00000000-0000-4000-8000-000000000001';

INSERT INTO teams (id, name, plan)
VALUES ('00000000-0000-4000-8000-000000000001', 'acme', 'pro');

-- regions is the platform's comma-separated list, primary included.
INSERT INTO apps (id, team_id, name, fly_app_id, primary_region, regions)
VALUES
	('00000000-0000-4000-8000-000000000011',
	 '00000000-0000-4000-8000-000000000001',
	 'web', 'acme-web', 'iad', 'iad,fra,nrt'),
	('00000000-0000-4000-8000-000000000012',
	 '00000000-0000-4000-8000-000000000001',
	 'api', 'acme-api', 'fra', 'fra');

-- Regions without a row here run one machine.
INSERT INTO app_region_counts (app_id, region, count)
VALUES ('00000000-0000-4000-8000-000000000011', 'nrt', 2);

-- The newest deployment of each app is what rolls out.
INSERT INTO deployments (app_id, image, created_at)
VALUES
	('00000000-0000-4000-8000-000000000011',
	 'registry.fly.io/acme-web:v1', now() - interval '1 day'),
	('00000000-0000-4000-8000-000000000011',
	 'registry.fly.io/acme-web:v2', now()),
	('00000000-0000-4000-8000-000000000012',
	 'registry.fly.io/acme-api:v7', now());

COMMIT;
