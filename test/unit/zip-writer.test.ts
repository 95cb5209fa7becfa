/** The stored-zip writer (src/services/lambda/zip.ts) read back by the package reader the Lambda service uses. */
import { describe, expect, it } from "vitest";
import { readZipEntry, storedZip, zipEntries } from "../../src/services/lambda/zip";

describe("storedZip", () => {
  it("writes files the reader finds again, byte for byte", async () => {
    const files = [
      { name: "iamlab.json", data: new TextEncoder().encode('{"calls":[]}') },
      { name: "dir/ü.txt", data: new Uint8Array([0, 1, 2, 255]) },
    ];
    const zip = storedZip(files);
    const entries = zipEntries(zip);
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([
      ["iamlab.json", 0, 12],
      ["dir/ü.txt", 0, 4],
    ]);
    for (const [i, e] of entries.entries()) expect(await readZipEntry(zip, e, 1024)).toEqual(files[i]!.data);
  });
});
