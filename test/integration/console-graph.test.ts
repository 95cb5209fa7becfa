/**
 * The Permissions Graph from the console (issue 20): linked in the navigation, its data through the
 * console session for the signed-in principal's own account (iam:GetAccountAuthorizationDetails,
 * decided by the engine), no admin token in the browser; another account's graph is not reachable.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CreateLoginProfileCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { adminFetch } from "../helpers/sandbox";
import { ConsoleClient } from "../helpers/console-browser";

const ROOT_PW = "Root-Passw0rd!";
const PW = "Graph-Passw0rd!";
let a: AccountFixture;

beforeAll(async () => {
  a = await withAccount();
  expect((await adminFetch(`/accounts/${a.id}/root-password`, { method: "PUT", body: JSON.stringify({ password: ROOT_PW }) })).status).toBe(
    200,
  );
  await a.iam.send(new CreateUserCommand({ UserName: "escalator" }));
  await a.iam.send(
    new PutUserPolicyCommand({
      UserName: "escalator",
      PolicyName: "p",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "iam:PutUserPolicy", Resource: "*" }],
      }),
    }),
  );
  await a.iam.send(new CreateLoginProfileCommand({ UserName: "escalator", Password: PW }));
});

describe("the Permissions Graph in the console", () => {
  it("is linked from the navigation and served without an admin token field", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    expect((await c.get("/console/home")).text).toContain('href="/console/my-graph"');
    const page = await c.get("/console/my-graph");
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-mode="session"');
    expect(page.text).not.toContain("Admin token");
  });

  it("answers the signed-in principal's own account: the graph and its escalation paths", async () => {
    const c = new ConsoleClient();
    await c.signIn(a.id, "root", ROOT_PW);
    const graph = await c.get("/console/graph/data");
    expect(graph.status).toBe(200);
    const g = JSON.parse(graph.text) as { vertices: { id: string }[] };
    expect(g.vertices.some((v) => v.id === `arn:aws:iam::${a.id}:user/escalator`)).toBe(true);
    const escText = (await c.get("/console/graph/data/escalations")).text;
    const esc = JSON.parse(escText) as { paths: { principal: string }[] };
    expect(esc.paths.some((p) => p.principal === `arn:aws:iam::${a.id}:user/escalator`)).toBe(true);
    // Only one's own account: ?accounts is the lab author's.
    expect((await c.get("/console/graph/data?accounts=111111111111")).status).toBe(400);
  });

  it("refuses a principal without iam:GetAccountAuthorizationDetails, naming the decision to explain it", async () => {
    const c = new ConsoleClient();
    expect((await c.signIn(a.id, "escalator", PW)).status).toBe(303);
    const r = await c.get("/console/graph/data");
    expect(r.status).toBe(403);
    const body = JSON.parse(r.text) as { error: string; decisionId?: string; explanation?: string };
    expect(body.error).toBe("AccessDenied");
    expect(body.explanation).toContain("/console/why-denied?id=");
  });

  it("needs a console session", async () => {
    expect((await new ConsoleClient().get("/console/graph/data")).status).toBe(401);
  });
});
