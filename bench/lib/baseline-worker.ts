/**
 * The platform ceiling (PERFORMANCE.md): a Worker answering a fixed GetCallerIdentity-sized XML
 * body, and the same Worker doing exactly one D1 `SELECT … WHERE id = ?` per request (/d1).
 * Served by Miniflare with the same compatibility settings as the sandbox, in the same run.
 */
const BODY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:root</Arn>
    <UserId>123456789012</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`;

export default {
  async fetch(req: Request, env: { DB: D1Database }): Promise<Response> {
    const url = new URL(req.url);
    await req.arrayBuffer();
    if (url.pathname === "/d1") {
      const row = await env.DB.prepare("SELECT id, v FROM bench WHERE id = ?").bind(1).first<{ v: string }>();
      return new Response(BODY.replace("123456789012</Account>", `${row?.v ?? "?"}</Account>`), {
        headers: { "content-type": "text/xml" },
      });
    }
    return new Response(BODY, { headers: { "content-type": "text/xml", "x-amzn-RequestId": "01234567-89ab-cdef-0123-456789abcdef" } });
  },
};
