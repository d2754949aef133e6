// Estimated round-trip time from where a request entered (cf.colo, cf.continent) to an origin: a small table.
import { z } from "zod";

/**
 * Rough public-internet RTTs, in ms, meant to rank origins rather than to predict exactly. Same colo:
 * a metro hop. Same continent: a regional hop (≈ 1,500 km of fibre plus routing). Between continents:
 * typical measured medians (NA↔EU ≈ 90 ms transatlantic, NA↔AS ≈ 160 ms transpacific, …); any pair
 * not listed gets `farMs`. A request with no location (local, tests) gets `unknownMs` everywhere, so
 * only load, weight and registry order decide.
 */
export interface RttTable {
  readonly sameColoMs: number;
  readonly sameContinentMs: number;
  readonly farMs: number;
  readonly unknownMs: number;
  /** Keys are two continent codes in alphabetical order joined by "-", e.g. "EU-NA". */
  readonly pairs: Readonly<Record<string, number>>;
}

export const DEFAULT_RTT_TABLE: RttTable = {
  sameColoMs: 5,
  sameContinentMs: 35,
  farMs: 220,
  unknownMs: 0,
  pairs: {
    "EU-NA": 90,
    "NA-SA": 130,
    "AS-NA": 160,
    "NA-OC": 170,
    "AS-EU": 160,
    "AF-EU": 100,
    "EU-SA": 190,
    "AS-OC": 110,
    "AF-AS": 180,
  },
};

const ms = z.number().nonnegative().max(60_000);
/** The REGION_RTT var: any subset of the table, in snake_case; pairs merge over the defaults. */
const RttOverrideSchema = z.strictObject({
  same_colo_ms: ms.optional(),
  same_continent_ms: ms.optional(),
  far_ms: ms.optional(),
  unknown_ms: ms.optional(),
  pairs: z.record(z.string().regex(/^[A-Z]{2}-[A-Z]{2}$/), ms).optional(),
});

const parsed = new Map<string, RttTable>();

/** Unset → defaults. A malformed value is logged once and ignored: routing must not fail on it. */
export function rttTable(raw: string | undefined): RttTable {
  if (raw === undefined || raw.trim() === "") return DEFAULT_RTT_TABLE;
  const known = parsed.get(raw);
  if (known) return known;
  let table = DEFAULT_RTT_TABLE;
  try {
    const o = RttOverrideSchema.parse(JSON.parse(raw));
    table = {
      sameColoMs: o.same_colo_ms ?? table.sameColoMs,
      sameContinentMs: o.same_continent_ms ?? table.sameContinentMs,
      farMs: o.far_ms ?? table.farMs,
      unknownMs: o.unknown_ms ?? table.unknownMs,
      pairs: { ...table.pairs, ...o.pairs },
    };
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "REGION_RTT is malformed; using the default RTT table",
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  parsed.set(raw, table);
  return table;
}

export interface RequestLocation {
  readonly colo: string | null;
  readonly continent: string | null;
}

export interface OriginPlace {
  readonly colos: readonly string[];
  readonly continents: readonly string[];
}

export function estimateRtt(from: RequestLocation, to: OriginPlace, table: RttTable): number {
  if (from.colo === null && from.continent === null) return table.unknownMs;
  if (from.colo !== null && to.colos.includes(from.colo)) return table.sameColoMs;
  if (from.continent === null) return table.farMs;
  if (to.continents.includes(from.continent)) return table.sameContinentMs;
  let best = to.continents.length === 0 ? table.farMs : Number.POSITIVE_INFINITY;
  for (const continent of to.continents) {
    const key = [continent, from.continent].sort().join("-");
    best = Math.min(best, table.pairs[key] ?? table.farMs);
  }
  return best;
}
