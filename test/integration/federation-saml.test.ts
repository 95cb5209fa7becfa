/**
 * IAM SAML providers with the real @aws-sdk/client-iam (issue 19): the metadata document validated
 * (an IdP EntityDescriptor with a signing certificate), ValidUntil from the document or 100 years,
 * names without case, tags, AWS's NoSuchEntity wording, and a trust policy naming the provider.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  GetAccountSummaryCommand,
  DeleteSAMLProviderCommand,
  GetSAMLProviderCommand,
  ListSAMLProvidersCommand,
  ListSAMLProviderTagsCommand,
  TagSAMLProviderCommand,
  UntagSAMLProviderCommand,
  UpdateSAMLProviderCommand,
} from "@aws-sdk/client-iam";
import { expectAwsError } from "../helpers/aws-errors";
import { withAccount, type AccountFixture } from "../helpers/fixtures";
import { idpMetadata } from "../helpers/saml";

describe("IAM SAML providers", () => {
  let a: AccountFixture;
  beforeAll(async () => {
    a = await withAccount();
  });

  it("creates, reads, lists, updates, tags and deletes a provider", async () => {
    const doc = idpMetadata();
    const created = await a.iam.send(
      new CreateSAMLProviderCommand({ Name: "Okta", SAMLMetadataDocument: doc, Tags: [{ Key: "team", Value: "it" }] }),
    );
    const arn = `arn:aws:iam::${a.id}:saml-provider/Okta`;
    expect(created.SAMLProviderArn).toBe(arn);
    expect(created.Tags).toEqual([{ Key: "team", Value: "it" }]);

    const got = await a.iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }));
    expect(got.SAMLMetadataDocument).toBe(doc);
    expect(got.ValidUntil!.getUTCFullYear() - got.CreateDate!.getUTCFullYear()).toBe(100);
    expect(got.Tags).toEqual([{ Key: "team", Value: "it" }]);
    // Names are compared without case.
    await a.iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn.replace("Okta", "OKTA") }));
    await expectAwsError(
      a.iam.send(new CreateSAMLProviderCommand({ Name: "OKTA", SAMLMetadataDocument: doc })),
      "EntityAlreadyExists",
      409,
    );

    // GetAccountSummary counts identity providers.
    expect((await a.iam.send(new GetAccountSummaryCommand({}))).SummaryMap?.Providers).toBe(1);
    const listed = await a.iam.send(new ListSAMLProvidersCommand({}));
    expect(listed.SAMLProviderList?.map((p) => p.Arn)).toEqual([arn]);
    expect(listed.SAMLProviderList?.[0]?.ValidUntil).toEqual(got.ValidUntil);

    const updated = await a.iam.send(
      new UpdateSAMLProviderCommand({
        SAMLProviderArn: arn,
        SAMLMetadataDocument: idpMetadata({ second: true, validUntil: "2030-01-01T00:00:00Z" }),
      }),
    );
    expect(updated.SAMLProviderArn).toBe(arn);
    const after = await a.iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }));
    expect(after.ValidUntil?.toISOString()).toBe("2030-01-01T00:00:00.000Z");

    await a.iam.send(new TagSAMLProviderCommand({ SAMLProviderArn: arn, Tags: [{ Key: "env", Value: "lab" }] }));
    await a.iam.send(new UntagSAMLProviderCommand({ SAMLProviderArn: arn, TagKeys: ["team"] }));
    expect((await a.iam.send(new ListSAMLProviderTagsCommand({ SAMLProviderArn: arn }))).Tags).toEqual([{ Key: "env", Value: "lab" }]);

    // A trust policy may name it.
    await a.iam.send(
      new CreateRoleCommand({
        RoleName: "saml-admins",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: arn },
              Action: "sts:AssumeRoleWithSAML",
              Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
            },
          ],
        }),
      }),
    );

    await a.iam.send(new DeleteSAMLProviderCommand({ SAMLProviderArn: arn }));
    await expectAwsError(
      a.iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn })),
      "NoSuchEntity",
      404,
      `Manifest not found for arn ${arn}`,
    );
    await expectAwsError(a.iam.send(new DeleteSAMLProviderCommand({ SAMLProviderArn: arn })), "NoSuchEntity", 404);
  });

  it("refuses metadata that is not an IdP's with a signing certificate", async () => {
    const bad = [
      `<a>${"x".repeat(1000)}</a>`,
      idpMetadata().replace(/IDPSSODescriptor/g, "SPSSODescriptor"),
      idpMetadata().replace(/<ds:X509Certificate>[^<]+</, `<ds:X509Certificate>${"QUJD".repeat(300)}<`),
      idpMetadata({ use: "encryption" }),
      idpMetadata({ validUntil: "not-a-date" }),
      `<!DOCTYPE x [<!ENTITY e "e">]>${idpMetadata()}`,
    ];
    for (const doc of bad)
      await expectAwsError(
        a.iam.send(new CreateSAMLProviderCommand({ Name: "Bad", SAMLMetadataDocument: doc })),
        "InvalidInput",
        400,
        "Could not parse metadata",
      );
    await expectAwsError(
      a.iam.send(new CreateSAMLProviderCommand({ Name: "Short", SAMLMetadataDocument: "<x/>" })),
      "ValidationError",
      400,
    );
    await expectAwsError(
      a.iam.send(new CreateSAMLProviderCommand({ Name: "has space", SAMLMetadataDocument: idpMetadata() })),
      "ValidationError",
      400,
    );
    expect((await a.iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList ?? []).toEqual([]);
  });
});
