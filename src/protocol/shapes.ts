/**
 * A tiny shape language for Query-protocol inputs: each action declares its input once,
 * the generic decoder (query.ts) turns flat form fields into a typed object and reports
 * violations with AWS's "N validation error(s) detected" wording.
 */
export interface StringShape {
  kind: "string";
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Pattern as AWS prints it in messages. */
  patternText?: string;
  enum?: readonly string[];
}
export interface IntegerShape {
  kind: "integer";
  required?: boolean;
  min?: number;
  max?: number;
}
export interface BooleanShape {
  kind: "boolean";
  required?: boolean;
}
export interface TimestampShape {
  kind: "timestamp";
  required?: boolean;
}
export interface ListShape<M extends Shape = Shape> {
  kind: "list";
  member: M;
  required?: boolean;
  min?: number;
  max?: number;
}
export interface MapShape<V extends Shape = Shape> {
  kind: "map";
  value: V;
  required?: boolean;
  max?: number;
}
export interface StructShape<F extends Fields = Fields> {
  kind: "struct";
  fields: F;
  required?: boolean;
}
export type Shape = StringShape | IntegerShape | BooleanShape | TimestampShape | ListShape | MapShape | StructShape;
export type Fields = { readonly [name: string]: Shape };

type Base<S extends Shape> = S extends StringShape
  ? string
  : S extends IntegerShape
    ? number
    : S extends BooleanShape
      ? boolean
      : S extends TimestampShape
        ? Date
        : S extends ListShape<infer M>
          ? Array<Base<M>>
          : S extends MapShape<infer V>
            ? Record<string, Base<V>>
            : S extends StructShape<infer F>
              ? InferFields<F>
              : never;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends { required: true } ? K : never }[keyof F];
type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;
export type InferFields<F extends Fields> = { -readonly [K in RequiredKeys<F>]: Base<F[K]> } & {
  -readonly [K in OptionalKeys<F>]?: Base<F[K]>;
};
export type Infer<S extends Shape> = Base<S>;

type Opt<T> = Omit<T, "kind">;
export const s = {
  string: <const O extends Opt<StringShape>>(o?: O) => ({ kind: "string", ...o }) as StringShape & O,
  integer: <const O extends Opt<IntegerShape>>(o?: O) => ({ kind: "integer", ...o }) as IntegerShape & O,
  boolean: <const O extends Opt<BooleanShape>>(o?: O) => ({ kind: "boolean", ...o }) as BooleanShape & O,
  timestamp: <const O extends Opt<TimestampShape>>(o?: O) => ({ kind: "timestamp", ...o }) as TimestampShape & O,
  list: <M extends Shape, const O extends Opt<Omit<ListShape, "member">>>(member: M, o?: O) =>
    ({ kind: "list", member, ...o }) as ListShape<M> & O,
  map: <V extends Shape, const O extends Opt<Omit<MapShape, "value">>>(value: V, o?: O) =>
    ({ kind: "map", value, ...o }) as MapShape<V> & O,
  struct: <F extends Fields, const O extends Opt<Omit<StructShape, "fields">>>(fields: F, o?: O) =>
    ({ kind: "struct", fields, ...o }) as StructShape<F> & O,
};

// Common IAM/STS field shapes, with the patterns AWS documents.
const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(?:\u002F|\u002F[\u0021-\u007E]+\u002F)$/;
export const common = {
  name: (max: number, required = true) => s.string({ required, min: 1, max, pattern: NAME, patternText: "[\\w+=,.@-]+" }),
  path: () => s.string({ min: 1, max: 512, pattern: PATH, patternText: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)" }),
  arn: (required = true) => s.string({ required, min: 20, max: 2048 }),
  marker: () => s.string({ min: 1, max: 320, pattern: /^[\u0020-\u00FF]+$/, patternText: "[\\u0020-\\u00FF]+" }),
  maxItems: () => s.integer({ min: 1, max: 1000 }),
  policyDocument: (required = true) =>
    s.string({
      required,
      min: 1,
      max: 131072,
      pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/su,
      patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
    }),
  tags: () =>
    s.list(s.struct({ Key: s.string({ required: true, min: 1, max: 128 }), Value: s.string({ required: true, min: 0, max: 256 }) }), {
      max: 50,
    }),
};
