-- 001_platform.sql - the platform's tables, as the seed design has them:
-- teams with a billing plan, apps with their Fly app and regions, the
-- region catalog and deployments. Every statement tolerates tables that
-- already exist, so a platform database that has them migrates in place.

CREATE TABLE IF NOT EXISTS teams (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name varchar(100) NOT NULL,
	plan varchar(20) NOT NULL DEFAULT 'free',
	created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE teams ADD COLUMN IF NOT EXISTS
	plan varchar(20) NOT NULL DEFAULT 'free';

CREATE TABLE IF NOT EXISTS apps (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	name varchar(63) NOT NULL,
	fly_app_id varchar(63),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE apps ADD COLUMN IF NOT EXISTS fly_app_id varchar(63);

-- The seed's region columns: regions is comma-separated and includes
-- the primary.
ALTER TABLE apps ADD COLUMN IF NOT EXISTS
	primary_region varchar(10) DEFAULT 'iad';
ALTER TABLE apps ADD COLUMN IF NOT EXISTS
	regions varchar(255) DEFAULT 'iad';

CREATE TABLE IF NOT EXISTS regions (
	code varchar(10) PRIMARY KEY,
	name varchar(100) NOT NULL,
	city varchar(100) NOT NULL,
	country varchar(100) NOT NULL,
	continent varchar(50) NOT NULL,
	latitude decimal(10, 6),
	longitude decimal(10, 6),
	available boolean DEFAULT true
);

INSERT INTO regions (code, name, city, country, continent, latitude,
	longitude) VALUES
	('iad', 'US East', 'Ashburn', 'United States',
	 'North America', 38.9519, -77.4480),
	('ord', 'US Central', 'Chicago', 'United States',
	 'North America', 41.9742, -87.9073),
	('dfw', 'US South', 'Dallas', 'United States',
	 'North America', 32.8998, -97.0403),
	('den', 'US Mountain', 'Denver', 'United States',
	 'North America', 39.8561, -104.6737),
	('lax', 'US West', 'Los Angeles', 'United States',
	 'North America', 33.9416, -118.4085),
	('sjc', 'US West', 'San Jose', 'United States',
	 'North America', 37.3639, -121.9289),
	('sea', 'US Northwest', 'Seattle', 'United States',
	 'North America', 47.4502, -122.3088),
	('yyz', 'Canada East', 'Toronto', 'Canada',
	 'North America', 43.6777, -79.6248),
	('yul', 'Canada East', 'Montreal', 'Canada',
	 'North America', 45.4657, -73.7455),
	('gru', 'South America', 'São Paulo', 'Brazil',
	 'South America', -23.4356, -46.4731),
	('gig', 'South America', 'Rio de Janeiro', 'Brazil',
	 'South America', -22.8100, -43.2505),
	('eze', 'South America', 'Buenos Aires', 'Argentina',
	 'South America', -34.8150, -58.5348),
	('scl', 'South America', 'Santiago', 'Chile',
	 'South America', -33.3930, -70.7858),
	('lhr', 'Europe West', 'London', 'United Kingdom',
	 'Europe', 51.4700, -0.4543),
	('cdg', 'Europe West', 'Paris', 'France',
	 'Europe', 49.0097, 2.5479),
	('ams', 'Europe West', 'Amsterdam', 'Netherlands',
	 'Europe', 52.3105, 4.7683),
	('fra', 'Europe Central', 'Frankfurt', 'Germany',
	 'Europe', 50.0379, 8.5622),
	('waw', 'Europe East', 'Warsaw', 'Poland',
	 'Europe', 52.1672, 20.9679),
	('mad', 'Europe South', 'Madrid', 'Spain',
	 'Europe', 40.4983, -3.5676),
	('arn', 'Europe North', 'Stockholm', 'Sweden',
	 'Europe', 59.6519, 17.9186),
	('nrt', 'Asia East', 'Tokyo', 'Japan',
	 'Asia', 35.7720, 140.3929),
	('hkg', 'Asia East', 'Hong Kong', 'Hong Kong',
	 'Asia', 22.3080, 113.9185),
	('sin', 'Asia Southeast', 'Singapore', 'Singapore',
	 'Asia', 1.3644, 103.9915),
	('syd', 'Oceania', 'Sydney', 'Australia',
	 'Oceania', -33.9399, 151.1753),
	('bom', 'Asia South', 'Mumbai', 'India',
	 'Asia', 19.0896, 72.8656),
	('maa', 'Asia South', 'Chennai', 'India',
	 'Asia', 12.9941, 80.1709),
	('jnb', 'Africa', 'Johannesburg', 'South Africa',
	 'Africa', -26.1367, 28.2411),
	('bah', 'Middle East', 'Bahrain', 'Bahrain',
	 'Middle East', 26.2708, 50.6336)
ON CONFLICT (code) DO NOTHING;

CREATE TABLE IF NOT EXISTS deployments (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
	image text NOT NULL,
	status varchar(20) NOT NULL DEFAULT 'pending',
	created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE deployments ADD COLUMN IF NOT EXISTS
	regions_deployed varchar(255);

CREATE INDEX IF NOT EXISTS deployments_app_created
	ON deployments (app_id, created_at DESC);
