/**
 * The JSON policy editor: a textarea that console.js validates as you type (POST
 * /console/policies/validate) and the findings of the document as served (./validate-policy.ts).
 */
import type { FC } from "hono/jsx";
import { validatePolicy, type PolicyType } from "../validate-policy";

export const PolicyEditor: FC<{ csrf: string; doc: string; type: PolicyType }> = ({ csrf, doc, type }) => (
  <>
    <label for="policy-doc">Policy editor (JSON)</label>
    <textarea
      id="policy-doc"
      name="document"
      spellcheck={false}
      data-validate-url="/console/policies/validate"
      data-csrf={csrf}
      data-policy-type={type}
    >
      {doc}
    </textarea>
    <div id="findings" data-testid="findings" aria-live="polite">
      {validatePolicy(doc, type).map((f) => (
        <div class={`finding ${f.findingType}`}>
          {f.findingType} — {f.title}
          {f.statement !== undefined ? ` (statement ${f.statement + 1})` : ""}: {f.detail}
        </div>
      ))}
    </div>
  </>
);
