import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** One block as @cdktf/hcl2json gives it: attributes, with nested blocks as arrays. */
export type HclBlock = Record<string, unknown>;

/** A Terraform module read the way Terraform reads it: every *.tf file of one directory, merged. */
export interface TerraformModule {
  /** resource type → name → block */
  readonly resources: ReadonlyMap<string, ReadonlyMap<string, HclBlock>>;
  /** data source type → name → block */
  readonly data: ReadonlyMap<string, ReadonlyMap<string, HclBlock>>;
  readonly variables: ReadonlyMap<string, HclBlock>;
  readonly outputs: ReadonlyMap<string, HclBlock>;
  readonly locals: Readonly<Record<string, unknown>>;
  readonly terraform: readonly HclBlock[];
  /** file name → its text, for what the JSON form does not show (comments, templates). */
  readonly files: ReadonlyMap<string, string>;
}

type Labelled = Record<string, Record<string, HclBlock[]>>;

function addLabelled(target: Map<string, Map<string, HclBlock>>, source: unknown, file: string): void {
  for (const [type, byName] of Object.entries((source ?? {}) as Labelled)) {
    const names = target.get(type) ?? new Map<string, HclBlock>();
    target.set(type, names);
    for (const [name, blocks] of Object.entries(byName)) {
      if (names.has(name) || blocks.length !== 1 || blocks[0] === undefined) throw new Error(`${file}: ${type}.${name} is declared more than once`);
      names.set(name, blocks[0]);
    }
  }
}

function addNamed(target: Map<string, HclBlock>, source: unknown, kind: string, file: string): void {
  for (const [name, blocks] of Object.entries((source ?? {}) as Record<string, HclBlock[]>)) {
    if (target.has(name) || blocks.length !== 1 || blocks[0] === undefined) throw new Error(`${file}: ${kind} ${name} is declared more than once`);
    target.set(name, blocks[0]);
  }
}

export async function loadTerraformModule(dir: string): Promise<TerraformModule> {
  const resources = new Map<string, Map<string, HclBlock>>();
  const data = new Map<string, Map<string, HclBlock>>();
  const variables = new Map<string, HclBlock>();
  const outputs = new Map<string, HclBlock>();
  const locals: Record<string, unknown> = {};
  const terraform: HclBlock[] = [];
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    const text = await readFile(path.join(dir, name), 'utf8');
    files.set(name, text);
    if (!name.endsWith('.tf')) continue;
    const json = (await parse(name, text)) as Record<string, unknown>;
    addLabelled(resources, json.resource, name);
    addLabelled(data, json.data, name);
    addNamed(variables, json.variable, 'variable', name);
    addNamed(outputs, json.output, 'output', name);
    for (const block of (json.locals ?? []) as HclBlock[]) Object.assign(locals, block);
    terraform.push(...((json.terraform ?? []) as HclBlock[]));
  }
  return { resources, data, variables, outputs, locals, terraform, files };
}

/** The block `type.name`, or an error naming it. */
export function blockOf(blocks: ReadonlyMap<string, ReadonlyMap<string, HclBlock>>, type: string, name: string): HclBlock {
  const block = blocks.get(type)?.get(name);
  if (block === undefined) throw new Error(`the module declares no ${type}.${name}`);
  return block;
}
