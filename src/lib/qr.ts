/** A QR code of a text as a PNG (lean-qr computes the modules, png.ts writes the image). */
import { generate } from "lean-qr";
import { encodePng1Bit } from "./png";

/** Modules of white border (the QR spec's quiet zone) and pixels per module. */
const QUIET = 4;
const SCALE = 4;

export async function qrPng(text: string): Promise<Uint8Array> {
  const code = generate(text);
  const n = code.size + 2 * QUIET;
  return encodePng1Bit(n * SCALE, n * SCALE, (x, y) => {
    const mx = Math.floor(x / SCALE) - QUIET;
    const my = Math.floor(y / SCALE) - QUIET;
    return mx >= 0 && my >= 0 && mx < code.size && my < code.size && code.get(mx, my);
  });
}
