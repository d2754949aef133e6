// Words that steer composition: each names coefficients of the UNet's low-frequency layout patterns.

/**
 * The spatial patterns the UNet builds in-graph over centred coordinates u (left → right) and
 * v (top → bottom), both scaled so the shorter side spans [-1, 1]. The foreground mask is
 * sigmoid(gain · Σ coefficient_k · pattern_k), so quadratic terms give blobs, linear terms move them.
 */
export const LAYOUT_PATTERNS = [
  "const", // 1
  "u", // u
  "v", // v
  "radial", // u² + v²
  "hstripes", // sin(5πv): horizontal bands
  "vstripes", // sin(5πu): vertical bands
  "diagonal", // sin(5π(u + v)/√2)
  "checker", // sin(4πu)·sin(4πv)
  "rings", // cos(5π·√(u² + v²))
  "saddle", // u·v: opposite quadrants
  "absu", // |u|: peaks and valleys
  "waves", // sin(3πu): wavy edges
] as const;

export type LayoutPattern = (typeof LAYOUT_PATTERNS)[number];
export type LayoutCoefficients = Partial<Record<LayoutPattern, number>>;

/**
 * "words: pattern value ...;" entries. Horizon words all put the foreground (the first colour
 * named) on top, so "sunset over the sea" keeps sunset colours above the sea's.
 */
const LAYOUT_WORDS = `
circle circles round ball sphere orb bubble dot coin disc: const .45 radial -1.5;
sun: const .3 radial -1.8 v -.5;
moon planet: const .3 radial -1.8 v -.4 u .3;
eye eyes: const .25 radial -1.6 rings .4;
square box cube block frame window: const .55 radial -1.3 checker .2;
stripes striped stripe lines bands horizontal: hstripes 1.3;
vertical: vstripes 1.5 hstripes -1.3;
diagonal: diagonal 1.4;
checker checkered checkerboard chess grid tiles plaid: checker 1.5;
dots polka confetti bubbles: checker .9 const -.5;
rings ring ripples ripple target spiral vortex portal: rings 1.3;
flower flowers: rings .6 radial -1.2 const .35;
mountain mountains peak peaks hill hills pyramid triangle: v .9 absu -.9 const .3;
valley canyon: v .9 absu .9 const -.3;
waves wave wavy: v -.8 waves .45;
sky sunset sunrise sea ocean lake beach desert field horizon landscape dawn dusk: v -1;
gradient: v -.5;
road path river bridge street: absu -1.5 const .3 waves .15;
forest trees city skyline buildings columns pillars bamboo: vstripes .8 v -.6 const -.1;
cloud clouds smoke fog mist: radial -.6 const .25 waves .25;
portrait face head person woman man girl boy child: const .35 radial -1.2 v .35;
left: u -1.2;
right: u 1.2;
top above upper: v -1.2;
bottom below lower under: v 1.2;
center centre middle: const .4 radial -1;
corner corners quadrants: saddle 1.6;
split half: u 1.5;
`;

function parseLayoutWords(table: string): Map<string, LayoutCoefficients> {
  const out = new Map<string, LayoutCoefficients>();
  for (const entry of table.split(";")) {
    const [head, body] = entry.split(":");
    if (!head?.trim() || !body) continue;
    const parts = body.trim().split(/\s+/);
    const coefficients: LayoutCoefficients = {};
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const pattern = parts[i] as LayoutPattern;
      if (!LAYOUT_PATTERNS.includes(pattern)) throw new Error(`unknown layout pattern ${pattern}`);
      coefficients[pattern] = Number(parts[i + 1]);
    }
    for (const word of head.trim().split(/\s+/)) out.set(word, coefficients);
  }
  return out;
}

export const layoutWords: ReadonlyMap<string, LayoutCoefficients> = parseLayoutWords(LAYOUT_WORDS);
