/** Bool ("true"/"false", case-insensitive) and BinaryEquals (base64 text compared exactly). */
import type { ConditionOperator } from "./types.js";

export const boolOperators: ConditionOperator[] = [
  {
    name: "Bool",
    negated: false,
    compile: (values) => {
      const want = values.map((v) => v.toLowerCase());
      return (cv) => want.includes(cv.toLowerCase());
    },
  },
  {
    name: "BinaryEquals",
    negated: false,
    compile: (values) => {
      const want = values.map((v) => v.trim());
      return (cv) => want.includes(cv.trim());
    },
  },
];
