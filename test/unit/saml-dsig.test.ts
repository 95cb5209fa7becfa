/**
 * SAML signatures in pure TS (src/federation/saml/): the strict XML parser, Exclusive XML
 * Canonicalization, enveloped XML-DSig verify/sign on WebCrypto, the self-signed certificate
 * writer, and the corpus of wrapping / tampering attacks (test/fixtures/saml-attacks.json), each
 * of which must be refused.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { XmlError, parseXmlDocument, textOf, elementChildren } from "../../src/federation/saml/xml";
import { canonicalize } from "../../src/federation/saml/c14n";
import { SamlError, verifySamlResponse } from "../../src/federation/saml/response";
import { AWS_ATTRIBUTE, type ResponseSpec } from "../../src/federation/saml/build";
import { selfSignedCertificate } from "../../src/lib/x509-writer";
import { parseCertificateDer } from "../../src/lib/x509";
import { parseSamlMetadata } from "../../src/federation/saml-metadata";
import { testIdp, type TestIdp } from "../helpers/saml-signing";
import corpus from "../fixtures/saml-attacks.json";

const c14n = (xml: string, o: Parameters<typeof canonicalize>[1] = {}) => canonicalize(parseXmlDocument(xml), o);

describe("XML parser", () => {
  it("keeps namespaces, attributes, text and comments; normalises line ends and attribute whitespace", () => {
    const root = parseXmlDocument(`<?xml version="1.0"?>\r\n<a:r xmlns:a="urn:a" x="1\t2">t&amp;&#x41;<!--c--><![CDATA[<b>]]></a:r>`);
    expect(root).toMatchObject({ prefix: "a", local: "r", ns: "urn:a", attrs: [{ name: "x", value: "1 2" }] });
    expect(root.children.map((c) => c.kind)).toEqual(["text", "comment", "text"]);
    expect(() => textOf(root)).toThrow(XmlError); // a comment inside a value is refused
  });

  it("refuses DOCTYPE, entities, processing instructions, undeclared prefixes and malformed markup", () => {
    for (const bad of [
      `<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>`,
      `<r>&e;</r>`,
      `<r><?pi x?></r>`,
      `<p:r/>`,
      `<r a="1" a="2"/>`,
      `<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>`,
      `<r><s></r></s>`,
      `<r/><r/>`,
      `<r>`,
      `<r a="<"/>`,
      `<r><!-- a -- b --></r>`,
    ])
      expect(() => parseXmlDocument(bad), bad).toThrow(XmlError);
  });
});

describe("Exclusive XML Canonicalization", () => {
  it("writes only visibly used namespaces, sorted, on the first element that uses them", () => {
    expect(c14n(`<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"><b:x c:y="1" z="2"/></a:r>`)).toBe(
      `<a:r xmlns:a="urn:a"><b:x xmlns:b="urn:b" xmlns:c="urn:c" z="2" c:y="1"></b:x></a:r>`,
    );
  });

  it("sorts attributes by namespace URI then local name, unqualified first", () => {
    expect(c14n(`<r xmlns:z="urn:a" xmlns:a="urn:b" b="1" a:c="2" z:d="3" a="4"/>`)).toBe(
      `<r xmlns:a="urn:b" xmlns:z="urn:a" a="4" b="1" z:d="3" a:c="2"></r>`,
    );
  });

  it("renders a subtree with its inherited namespaces and undoes a default namespace only when needed", () => {
    const root = parseXmlDocument(`<r xmlns="urn:d" xmlns:p="urn:p"><p:s><t xmlns=""><u/></t></p:s></r>`);
    const s = elementChildren(root)[0]!;
    expect(canonicalize(s)).toBe(`<p:s xmlns:p="urn:p"><t><u></u></t></p:s>`);
    expect(canonicalize(root)).toBe(`<r xmlns="urn:d"><p:s xmlns:p="urn:p"><t xmlns=""><u></u></t></p:s></r>`);
  });

  it("honours the InclusiveNamespaces PrefixList", () => {
    const xml = `<r xmlns:xs="urn:xs" xmlns:p="urn:p"><p:v>xs:string</p:v></r>`;
    const v = elementChildren(parseXmlDocument(xml))[0]!;
    expect(canonicalize(v)).toBe(`<p:v xmlns:p="urn:p">xs:string</p:v>`);
    expect(canonicalize(v, { inclusivePrefixes: ["xs"] })).toBe(`<p:v xmlns:p="urn:p" xmlns:xs="urn:xs">xs:string</p:v>`);
  });

  it("escapes text and attributes as c14n does, keeps comments only when asked", () => {
    expect(c14n(`<r a="&quot;&lt;&gt;&#9;&#10;&#13;">&lt;&gt;&amp;&#13;"'<!--x--></r>`)).toBe(
      `<r a="&quot;&lt;>&#x9;&#xA;&#xD;">&lt;&gt;&amp;&#xD;"'</r>`,
    );
    expect(c14n(`<r>a<!--x-->b</r>`, { withComments: true })).toBe(`<r>a<!--x-->b</r>`);
  });

  it("leaves out the excluded subtree (enveloped-signature transform)", () => {
    const root = parseXmlDocument(`<r><s/><sig><x/></sig>t</r>`);
    expect(canonicalize(root, { exclude: elementChildren(root)[1] })).toBe(`<r><s></s>t</r>`);
  });
});

describe("self-signed certificate writer", () => {
  it("writes a v3 certificate IAM's reader accepts, valid for the chosen period", async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const from = Date.UTC(2026, 0, 1);
    const until = Date.UTC(2056, 0, 1); // past 2049: GeneralizedTime
    const cert = parseCertificateDer(await selfSignedCertificate(pair, "iamlab", from, until));
    expect(cert).toMatchObject({ notBefore: from, notAfter: until, publicKey: { kind: "rsa", bits: 2048 } });
  });
});

describe("SAML response signatures", () => {
  let idp: TestIdp;
  let other: TestIdp;
  const now = Date.now();
  const spec = (): ResponseSpec => ({
    issuer: "https://idp.example.com/saml",
    subject: "alice@example.com",
    issueInstant: now,
    notOnOrAfter: now + 300_000,
    attributes: [
      [`${AWS_ATTRIBUTE}Role`, ["arn:aws:iam::111111111111:role/Reader,arn:aws:iam::111111111111:saml-provider/Lab"]],
      [`${AWS_ATTRIBUTE}RoleSessionName`, ["alice"]],
    ],
  });

  beforeAll(async () => {
    idp = await testIdp();
    other = await testIdp("https://attacker.example.com");
  });

  it("accepts the assertion signed, the response signed, or both, with RSA-SHA256 or RSA-SHA1", async () => {
    for (const [what, signed] of [
      [{}, "both"],
      [{ response: false }, "assertion"],
      [{ assertion: false }, "response"],
      [{ algorithm: "rsa-sha1" as const }, "both"],
    ] as const) {
      const a = await verifySamlResponse(await idp.sign(spec(), what), [{ spki: other.spki }, { spki: idp.spki }]);
      expect(a).toMatchObject({ subject: "alice@example.com", issuer: "https://idp.example.com/saml", signed });
      expect(a.attributes.get(`${AWS_ATTRIBUTE}RoleSessionName`)).toEqual(["alice"]);
      expect(a.audiences).toEqual(["https://signin.aws.amazon.com/saml"]);
    }
  });

  it("reads the metadata it would be registered with", () => {
    const md = parseSamlMetadata(idp.metadata);
    expect(md.entityId).toBe("https://idp.example.com/saml");
    expect(md.certificates[0]?.der).toEqual(idp.certificateDer);
  });

  it("survives re-indentation outside the signed element and whitespace in base64 values", async () => {
    const xml = (await idp.sign(spec(), { response: false })).replace(/<samlp:Status>/, "\n  <samlp:Status>");
    const wrapped = xml.replace(/<ds:SignatureValue>([^<]+)</, (_, v: string) => `<ds:SignatureValue>${v.replace(/(.{64})/g, "$1\n")}<`);
    await expect(verifySamlResponse(wrapped, [{ spki: idp.spki }])).resolves.toMatchObject({ signed: "assertion" });
  });

  describe("attack corpus", () => {
    for (const c of corpus.cases)
      it(`refuses: ${c.name}`, async () => {
        const signer = c.signWith === "other" ? other : idp;
        let xml = await signer.sign(spec(), c.sign);
        for (const e of c.edits) {
          const before = xml;
          xml = xml.replace(new RegExp(e.pattern, (e as { flags?: string }).flags ?? ""), e.replacement);
          expect(xml, "the edit must change the document").not.toBe(before);
        }
        const key = c.verifyWith === "other" ? other : idp;
        const err = await verifySamlResponse(xml, [{ spki: key.spki }]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SamlError);
        expect((err as SamlError).reason).toBe(c.expect);
      });
  });
});
