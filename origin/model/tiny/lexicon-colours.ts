// Words that name a colour (strong hue steering) and nouns with a typical colour (weaker steering).

/** "word hex" pairs; hex is the display colour the word pulls the image towards. */
const COLOUR_WORDS = `
red d62828, orange f77f00, yellow f6d32d, green 2b9348, blue 1d4ed8, purple 7b2cbf, pink f472b6,
white f5f5f0, black 141414, gray 808080, grey 808080, brown 7f4f24, gold d4a017, golden e0a526,
silver c0c0c8, cyan 22d3ee, teal 0f766e, magenta d6249f, violet 8f4fd8, indigo 3f37c9,
navy 1b2a5c, turquoise 2ec4b6, crimson b5172f, scarlet e0301e, beige e8dcc0, maroon 6d1a2a,
olive 708238, lime a3e635, amber ffbf00, emerald 2e8b57, azure 3a8ee6, lavender b8a1e3,
coral ff7f50, ivory f4efdc, bronze a8692f, copper b87333, cream f3e9cf, peach ffb38a, mint 98e2c6,
ruby 9b111e, sapphire 0f52ba, charcoal 36454f, tan d2b48c, rose e8798a, blonde ecd08f,
cobalt 0047ab, ochre cc7722, sepia 704214, rainbow c060a0
`;

/** Nouns whose usual colour is part of their meaning. */
const HINTED_NOUNS = `
fire e25822, flame f07b16, flames f07b16, lava cf3a10, snow eef3f8, ice bfe6f2, grass 4f9a2c,
leaf 3f8f2f, leaves 5a8f29, tree 3d7a2a, trees 3d7a2a, forest 24562a, jungle 2f6f2a, ocean 1e5fa8,
sea 2a6fb0, water 3a86c8, lake 3f7fb5, river 4a8cc0, sky 7fb6e8, cloud e8ecf2, clouds dfe5ee,
sunset f08a3c, sunrise f4a261, sun f9c80e, moon e6e2c8, night 101a3a, desert d9b26f, sand e0c48c,
beach e6cf95, mountain 6b705c, mountains 6b705c, rock 77736b, stone 8a8680, wood 8b5a2b,
wooden 8b5a2b, blood 8a0303, tomato e5372b, apple c9302c, banana f3d547, lemon f5e050,
cherry b3122e, strawberry d62839, grape 5d2a6b, chocolate 5a3520, coffee 6f4e37, milk f7f4ea,
candy f06ab0, fog c8ccd0, mist c9d3d8, smoke 8c8c8c, storm 3f4a5a, rain 6d7f91, autumn c8642a,
winter dce8f0, spring 8cc63f, summer f2b134, frog 4a9a3a, fox d9722b, elephant 8a8a8a,
flamingo f48fb1, crow 1c1c1c, panda efefef, tiger e07b24, lion c99a4b, penguin 202428,
dolphin 7a9bb5, whale 2f4f6f, shark 7d8a96, zebra d8d8d8, bee e8b923, butterfly e08a2a,
space 0b0d2a, galaxy 2a1a5e, stars 14163a, volcano 7a2a12, cave 3a3430, dawn f2b38c, dusk 5a3f7a,
meadow 7fb04a, garden 5c9e3c, field 9cb84a, island 3fa86a, ghost e8e8f0, robot 9aa3ad
`;

export type Rgb = readonly [number, number, number];

function parse(table: string): Map<string, Rgb> {
  const out = new Map<string, Rgb>();
  for (const entry of table.split(",")) {
    const [word, hex] = entry.trim().split(/\s+/);
    if (!word || !hex) continue;
    const n = Number.parseInt(hex, 16);
    // Display colour in [-1, 1], the range the VAE decoder emits.
    const rgb: Rgb = [
      ((n >> 16) & 255) / 127.5 - 1,
      ((n >> 8) & 255) / 127.5 - 1,
      (n & 255) / 127.5 - 1,
    ];
    out.set(word, rgb);
  }
  return out;
}

export const colourWords: ReadonlyMap<string, Rgb> = parse(COLOUR_WORDS);
export const hintedNouns: ReadonlyMap<string, Rgb> = parse(HINTED_NOUNS);
