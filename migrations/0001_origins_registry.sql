CREATE TABLE `origins` (
	`region` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`continents` text NOT NULL,
	`colos` text NOT NULL,
	`weight` real DEFAULT 1 NOT NULL,
	`models` text NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer NOT NULL
);
