import { validationError } from './api-error';

/**
 * The parameters of one AWS Query request (`Action=…&Version=…&Targets.member.1.Id=…`), read from
 * a form-encoded body or a query string.
 */
export class QueryParams {
  private readonly values: ReadonlyMap<string, string>;

  constructor(encoded: string) {
    this.values = new Map(new URLSearchParams(encoded));
  }

  /** Every parameter, for the request log. */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.values);
  }

  string(name: string): string | undefined {
    return this.values.get(name);
  }

  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') throw validationError(`'${name}' must be specified`);
    return value;
  }

  /** `Name.member.1`, `Name.member.2`, … in index order. */
  list(name: string): string[] {
    return this.indexes(name).map((i) => this.values.get(`${name}.member.${i}`) ?? '');
  }

  /** `Name.member.N.Field` for each N, as one record of fields per member, in index order. */
  structs(name: string): Array<Record<string, string>> {
    return this.indexes(name).map((i) => {
      const prefix = `${name}.member.${i}.`;
      const fields: Record<string, string> = {};
      for (const [key, value] of this.values) {
        if (key.startsWith(prefix)) fields[key.slice(prefix.length)] = value;
      }
      return fields;
    });
  }

  private indexes(name: string): number[] {
    const pattern = new RegExp(`^${name.replace(/\./g, '\\.')}\\.member\\.(\\d+)(?:\\.|$)`);
    const found = new Set<number>();
    for (const key of this.values.keys()) {
      const match = pattern.exec(key);
      if (match) found.add(Number(match[1]));
    }
    const sorted = [...found].sort((a, b) => a - b);
    sorted.forEach((index, position) => {
      if (index !== position + 1) throw validationError(`'${name}' members must be numbered from 1 without gaps`);
    });
    return sorted;
  }
}

/** An optional integer parameter; ValidationError if present and not an integer. */
export function optionalInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw validationError(`'${name}' must be an integer, got '${value}'`);
  return Number(value);
}
