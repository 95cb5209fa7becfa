/**
 * sts:GetAccessKeyInfo — the account that owns an access key id. Keys created here encode their
 * account (src/lib/ids.ts); keys configured from outside (AKIAIOSFODNN7EXAMPLE) are looked up.
 */
import { defineAction } from "../action";
import { s } from "../../protocol/shapes";
import { errors } from "../../protocol/errors";
import { accountOfAccessKeyId } from "../../lib/ids";
import { accountOfStoredKey } from "../../sessions/store";

export const GetAccessKeyInfo = defineAction({
  service: "sts",
  name: "GetAccessKeyInfo",
  effect: "none",
  input: {
    AccessKeyId: s.string({ required: true, min: 16, max: 128, pattern: /^\w*$/, patternText: "[\\w]*" }),
  },
  target: () => ({ resource: "*" }),
  async handler(i, ctx) {
    const account = (await accountOfStoredKey(ctx.db, i.AccessKeyId)) ?? accountOfAccessKeyId(i.AccessKeyId);
    if (!account) throw errors.invalidClientTokenId();
    return { Account: account };
  },
});
