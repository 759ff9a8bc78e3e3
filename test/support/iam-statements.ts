import { renderCfnValue } from './cloudformation-values';

/**
 * THE normalisation both IaC flavours are compared in: an IAM statement
 * reduced to what it grants, with sorted actions and resources, and every
 * tool-specific reference (a CloudFormation logical id, a Terraform variable)
 * replaced by a shared symbol such as `{bucket}`, `{prefix}` or
 * `{targetGroupArn}`. Two policies grant the same when their canonical
 * statement lists are equal.
 */
export interface CanonicalStatement {
  readonly sid: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** operator → condition key → sorted values */
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** [text as one tool writes it, shared symbol], applied in order. */
export type Symbols = ReadonlyArray<readonly [string, string]>;

interface LooseStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions: Record<string, Record<string, readonly string[]>>;
}

function symbolise(text: string, symbols: Symbols): string {
  let out = text;
  for (const [from, to] of symbols) out = out.split(from).join(to);
  if (out.includes('${')) throw new Error(`unmapped reference in ${JSON.stringify(text)} → ${JSON.stringify(out)}: add it to the symbols`);
  return out;
}

function canonical(statement: LooseStatement, symbols: Symbols): CanonicalStatement {
  const conditions: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(statement.conditions)) {
    conditions[operator] = {};
    for (const [key, values] of Object.entries(keys)) conditions[operator][key] = values.map((v) => symbolise(v, symbols)).sort();
  }
  return {
    sid: statement.sid ?? '',
    effect: statement.effect ?? 'Allow',
    actions: [...statement.actions].sort(),
    resources: statement.resources.map((r) => symbolise(r, symbols)).sort(),
    conditions,
  };
}

/** Sorted by sid, so statement order does not matter. */
function sorted(statements: CanonicalStatement[]): CanonicalStatement[] {
  return statements.sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Statements of a synthesized `PolicyDocument` (CloudFormation JSON). */
export function fromCloudFormation(policyDocument: unknown, symbols: Symbols): CanonicalStatement[] {
  const document = policyDocument as { Statement: Array<Record<string, unknown>> };
  return sorted(
    document.Statement.map((s) => {
      const conditions: Record<string, Record<string, readonly string[]>> = {};
      for (const [operator, keys] of Object.entries((s.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
        conditions[operator] = Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, asList(values).map(renderCfnValue)]));
      }
      return canonical(
        {
          sid: s.Sid as string | undefined,
          effect: s.Effect as string | undefined,
          actions: asList(s.Action).map(String),
          resources: asList(s.Resource).map(renderCfnValue),
          conditions,
        },
        symbols,
      );
    }),
  );
}

/** A Terraform `local.<name>` that is a string template (not a bare expression) is inlined, repeatedly. */
function inlineLocals(text: string, locals: Readonly<Record<string, unknown>>): string {
  let out = text;
  for (let pass = 0; pass < 10; pass++) {
    const next = out.replace(/\$\{local\.([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
      const value = locals[name];
      return typeof value === 'string' && !/^\$\{[^}]*\}$/.test(value) ? value : whole;
    });
    if (next === out) return out;
    out = next;
  }
  throw new Error(`locals in ${JSON.stringify(text)} do not resolve`);
}

interface TerraformStatementBlock {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  condition?: Array<{ test: string; variable: string; values: string[] }>;
}

/** Statements of a `data "aws_iam_policy_document"` block as @cdktf/hcl2json parses it. */
export function fromTerraform(policyDocumentBlock: unknown, locals: Readonly<Record<string, unknown>>, symbols: Symbols): CanonicalStatement[] {
  const block = policyDocumentBlock as { statement: TerraformStatementBlock[] };
  return sorted(
    block.statement.map((s) => {
      const conditions: Record<string, Record<string, readonly string[]>> = {};
      for (const c of s.condition ?? []) {
        conditions[c.test] = { ...conditions[c.test], [c.variable]: c.values.map((v) => inlineLocals(v, locals)) };
      }
      return canonical(
        { sid: s.sid, effect: s.effect, actions: s.actions ?? [], resources: (s.resources ?? []).map((r) => inlineLocals(r, locals)), conditions },
        symbols,
      );
    }),
  );
}
