// The demo tenant and key: reused from .local-stack.json while the key still works, else seeded anew.
import { readFile, writeFile } from "node:fs/promises";
import { createTenant, issueKey, modelsForKey } from "./admin-client";
import type { Progress } from "./origin-regions";

export interface DemoTenant {
  tenant_id: string;
  tenant_name: string;
  key_id: string;
  api_key: string;
  key_prefix: string;
}

export interface StackFile {
  edge_url: string;
  origins: Array<{ region: string; url: string }>;
  demo: DemoTenant;
  model: string | null;
  curl: string;
  curl_save_png: string;
  written_at: string;
}

/** Generous enough for a developer clicking around, small enough to see the limits work. */
const DEMO_SETTINGS = {
  name: "demo",
  rate_limit_per_minute: 120,
  max_concurrency: 4,
  monthly_image_quota: 10_000,
};

async function readStackFile(path: string): Promise<StackFile | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as StackFile;
  } catch {
    return null;
  }
}

export async function seedDemoTenant(edgeUrl: string, adminToken: string): Promise<DemoTenant> {
  const tenant = await createTenant(edgeUrl, adminToken, DEMO_SETTINGS);
  const key = await issueKey(edgeUrl, adminToken, tenant.id, "demo");
  return {
    tenant_id: tenant.id,
    tenant_name: tenant.name,
    key_id: key.id,
    api_key: key.key,
    key_prefix: key.prefix,
  };
}

export async function ensureDemoTenant(
  edgeUrl: string,
  adminToken: string,
  stateFile: string,
  progress: Progress,
): Promise<{ demo: DemoTenant; models: string[] }> {
  const previous = (await readStackFile(stateFile))?.demo;
  if (previous?.api_key) {
    const models = await modelsForKey(edgeUrl, previous.api_key);
    if (models) {
      progress(`reusing demo tenant ${previous.tenant_id} from ${stateFile}`);
      return { demo: previous, models };
    }
    progress(
      `the key in ${stateFile} no longer works (fresh local state?); seeding a new demo tenant…`,
    );
  } else {
    progress("seeding demo tenant and key…");
  }
  const demo = await seedDemoTenant(edgeUrl, adminToken);
  const models = await modelsForKey(edgeUrl, demo.api_key);
  if (!models) throw new Error("The freshly issued demo key was refused by GET /v1/models.");
  return { demo, models };
}

export function curlCommands(edgeUrl: string, key: string, model: string | null) {
  const body = JSON.stringify({
    ...(model ? { model } : {}),
    prompt: "a lighthouse on a cliff at dusk",
    size: "256x256",
    quality: "low",
  });
  const curl =
    `curl -sS ${edgeUrl}/v1/images/generations \\\n` +
    `  -H "Authorization: Bearer ${key}" \\\n` +
    `  -H "Content-Type: application/json" \\\n` +
    `  -d '${body}'`;
  // An error answer is printed (its message says what to do), and no empty PNG is left behind.
  const decode =
    `node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const j=JSON.parse(s);` +
    `if(!j.data){console.error(j.error?.message??s);process.exit(1)}` +
    `require('fs').writeFileSync('lighthouse.png',Buffer.from(j.data[0].b64_json,'base64'))})"`;
  return { curl, curl_save_png: `${curl} \\\n  | ${decode}` };
}

export async function writeStackFile(path: string, file: StackFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}
