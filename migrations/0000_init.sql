CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_uq` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `audit_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_id` text NOT NULL,
	`tenant_id` text,
	`key_id` text,
	`route` text NOT NULL,
	`tier` text,
	`params` text,
	`prompt_sha256` text,
	`safety_decision` text,
	`safety_category` text,
	`policy_version` text,
	`region` text,
	`status` integer NOT NULL,
	`error_code` text,
	`timings` text,
	`cost_charged` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_records_tenant_idx` ON `audit_records` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_records_request_idx` ON `audit_records` (`request_id`);--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`tenant_id` text NOT NULL,
	`key` text NOT NULL,
	`body_sha256` text NOT NULL,
	`status` text NOT NULL,
	`response` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`tenant_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `safety_terms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`category` text NOT NULL,
	`term` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `safety_terms_uq` ON `safety_terms` (`tenant_id`,`category`,`term`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`rate_limit_per_minute` integer NOT NULL,
	`max_concurrency` integer NOT NULL,
	`monthly_image_quota` integer NOT NULL,
	`allowed_tiers` text NOT NULL,
	`residency` text,
	`store_prompts` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`period` text NOT NULL,
	`images` integer NOT NULL,
	`cost_units` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `usage_ledger_request_uq` ON `usage_ledger` (`tenant_id`,`request_id`);--> statement-breakpoint
CREATE INDEX `usage_ledger_period_idx` ON `usage_ledger` (`tenant_id`,`period`);