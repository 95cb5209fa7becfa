/**
 * GetAuthorizationToken: the password `docker login` takes for a registry, valid 12 hours.
 * Authorized as ecr:GetAuthorizationToken on `*` (the action has no resource type). The token is
 * base64 of `AWS:<password>`, as AWS writes it (the CLI's get-login-password prints the part after
 * `AWS:`); iamlab serves no registry protocol, so the password is opaque and checked nowhere.
 */
import { defineAction, type ActionContext, type RegisteredAction } from "../action";
import { toBase64, utf8 } from "../../lib/encoding";
import { regionOf, registryOf } from "./common";
import { registryHost } from "./rules";

const TWELVE_HOURS = 12 * 3600 * 1000;

function password(): string {
  const bytes = new Uint8Array(48);
  crypto.getRandomValues(bytes);
  return toBase64(bytes);
}

export const GetAuthorizationToken = defineAction({
  service: "ecr",
  name: "GetAuthorizationToken",
  // AWS lists it as Read; it changes nothing iamlab keeps.
  effect: "read",
  input: {},
  target: () => ({ resource: "*" }),
  handler: (i, ctx: ActionContext) => {
    const ids = (i as { registryIds?: string[] }).registryIds;
    const registries = ids?.length ? ids.map((id) => registryOf(ctx, id)) : [ctx.caller.principal.account];
    const expiresAt = new Date(ctx.request.now + TWELVE_HOURS);
    return {
      authorizationData: registries.map((r) => ({
        authorizationToken: toBase64(utf8.encode(`AWS:${password()}`)),
        expiresAt,
        proxyEndpoint: `https://${registryHost(regionOf(ctx), r)}`,
      })),
    };
  },
});

export const authorizationTokenActions: RegisteredAction[] = [GetAuthorizationToken];
