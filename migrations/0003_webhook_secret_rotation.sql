ALTER TABLE `tenants` ADD `webhook_secret_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `webhook_secret_rotated_at` integer;