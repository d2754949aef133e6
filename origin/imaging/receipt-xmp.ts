// The audit receipt as an XMP packet: PNG (iTXt), WebP and JPEG all carry XMP, so one format serves all.
import { type Receipt, ReceiptSchema } from "../../protocol/receipt";

const NS = "https://darkroom.dev/ns/receipt/1.0/";

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

export function receiptToXmp(receipt: Receipt): string {
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `<rdf:Description rdf:about="" xmlns:darkroom="${NS}">`,
    `<darkroom:receipt>${escapeXml(JSON.stringify(receipt))}</darkroom:receipt>`,
    "</rdf:Description></rdf:RDF></x:xmpmeta>",
    '<?xpacket end="w"?>',
  ].join("");
}

/** Returns the receipt embedded by receiptToXmp, or null when the packet carries none. */
export function receiptFromXmp(xmp: string): Receipt | null {
  const match = /<darkroom:receipt>([\s\S]*?)<\/darkroom:receipt>/.exec(xmp);
  if (!match?.[1]) return null;
  return ReceiptSchema.parse(JSON.parse(unescapeXml(match[1])));
}
