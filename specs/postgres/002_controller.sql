-- 002_controller.sql - what rhone-controller adds: machine counts per
-- region, the status it writes back, the view it reads desired state
-- from, and the notifications that make a change reach it at once.

-- Machines per region; a region of apps.regions without a row here runs
-- one machine.
CREATE TABLE IF NOT EXISTS app_region_counts (
	app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	region varchar(10) NOT NULL REFERENCES regions (code),
	count integer NOT NULL DEFAULT 1 CHECK (count BETWEEN 1 AND 100),
	PRIMARY KEY (app_id, region)
);

-- The controller looks apps up by their Fly app.
CREATE INDEX IF NOT EXISTS apps_fly_app_id ON apps (fly_app_id);

-- Written by the controller: one row per app and region it manages.
CREATE TABLE IF NOT EXISTS region_status (
	app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	region varchar(10) NOT NULL,
	desired integer NOT NULL DEFAULT 0,
	current integer NOT NULL DEFAULT 0,
	ready integer NOT NULL DEFAULT 0,
	updated integer NOT NULL DEFAULT 0,
	phase varchar(20) NOT NULL DEFAULT 'Pending',
	message text NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (app_id, region)
);

-- The outcome of a deployment's rollout, written by the controller.
ALTER TABLE deployments ADD COLUMN IF NOT EXISTS finished_at timestamptz;
ALTER TABLE deployments ADD COLUMN IF NOT EXISTS
	message text NOT NULL DEFAULT '';

-- Desired state, one row per app that has a Fly app and a deployment:
-- the image of its newest deployment, its regions as the seed stores
-- them, and "code:count" for every region with a count row.
CREATE OR REPLACE VIEW rhone_desired AS
SELECT a.id AS app_id,
	a.fly_app_id,
	a.primary_region,
	a.regions,
	t.plan,
	d.id AS deployment_id,
	d.image,
	coalesce((SELECT string_agg(c.region || ':' || c.count, ','
				    ORDER BY c.region)
		  FROM app_region_counts c
		  WHERE c.app_id = a.id), '') AS counts
FROM apps a
JOIN teams t ON t.id = a.team_id
JOIN LATERAL (
	SELECT id, image FROM deployments
	WHERE app_id = a.id
	ORDER BY created_at DESC, id DESC
	LIMIT 1
) d ON true
WHERE a.fly_app_id IS NOT NULL AND a.fly_app_id <> '';

-- One channel for every change that can alter desired state. The
-- payload names the table only: the controller rereads the view, so a
-- lost or merged notification costs nothing.
CREATE OR REPLACE FUNCTION rhone_notify_desired() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('rhone_desired', TG_TABLE_NAME);
	RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS rhone_desired_teams ON teams;
CREATE TRIGGER rhone_desired_teams
	AFTER INSERT OR DELETE OR UPDATE OF plan ON teams
	FOR EACH STATEMENT EXECUTE FUNCTION rhone_notify_desired();

DROP TRIGGER IF EXISTS rhone_desired_apps ON apps;
CREATE TRIGGER rhone_desired_apps
	AFTER INSERT OR DELETE OR UPDATE ON apps
	FOR EACH STATEMENT EXECUTE FUNCTION rhone_notify_desired();

-- Not on the controller's own write-back of outcome columns.
DROP TRIGGER IF EXISTS rhone_desired_deployments ON deployments;
CREATE TRIGGER rhone_desired_deployments
	AFTER INSERT OR DELETE OR UPDATE OF app_id, image, created_at
	ON deployments
	FOR EACH STATEMENT EXECUTE FUNCTION rhone_notify_desired();

DROP TRIGGER IF EXISTS rhone_desired_counts ON app_region_counts;
CREATE TRIGGER rhone_desired_counts
	AFTER INSERT OR DELETE OR UPDATE ON app_region_counts
	FOR EACH STATEMENT EXECUTE FUNCTION rhone_notify_desired();

DROP TRIGGER IF EXISTS rhone_desired_regions ON regions;
CREATE TRIGGER rhone_desired_regions
	AFTER INSERT OR DELETE OR UPDATE OF available ON regions
	FOR EACH STATEMENT EXECUTE FUNCTION rhone_notify_desired();
