// The origin's own metrics as /metrics serves them.
import { describe, expect, it } from "vitest";
import { createOriginApp } from "./app";
import { createOriginMetrics, recordOriginInfo } from "./metrics";
import { OriginState } from "./origin-state";
import { ReplayGuard } from "./replay-guard";
import { RequestLedger } from "./request-ledger";

async function scrape(metrics = createOriginMetrics()): Promise<string> {
  const app = createOriginApp({
    state: new OriginState(),
    metrics,
    replay: new ReplayGuard(),
    ledger: new RequestLedger(),
    region: "test",
    secrets: ["secret"],
  });
  const res = await app.request("/metrics");
  return res.text();
}

describe("darkroom_origin_info", () => {
  it("shows the execution provider the model runs on, so a GPU pod on CPU stands out", async () => {
    const metrics = createOriginMetrics();
    recordOriginInfo(metrics, {
      id: "sd-turbo",
      executionProvider: "cpu",
      onnxruntimeVersion: "1.30.0",
    });
    const text = await scrape(metrics);
    expect(text).toContain("# TYPE darkroom_origin_info gauge");
    expect(text).toContain(
      'darkroom_origin_info{provider="cpu",onnxruntime_version="1.30.0",model="sd-turbo"} 1',
    );
  });

  it("keeps one series: a model loaded later replaces the earlier one", async () => {
    const metrics = createOriginMetrics();
    recordOriginInfo(metrics, { id: "a", executionProvider: "cpu", onnxruntimeVersion: "1.30.0" });
    recordOriginInfo(metrics, { id: "b", executionProvider: "cuda", onnxruntimeVersion: "1.30.0" });
    const series = (await scrape(metrics))
      .split("\n")
      .filter((l) => l.startsWith("darkroom_origin_info{"));
    expect(series).toEqual([
      'darkroom_origin_info{provider="cuda",onnxruntime_version="1.30.0",model="b"} 1',
    ]);
  });
});
