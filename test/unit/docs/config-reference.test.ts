import { z } from 'zod';
import {
  CONFIG_REFERENCE_END,
  CONFIG_REFERENCE_START,
  configJsonSchema,
  configKeyDocs,
  configReferenceMarkdown,
  currentConfigReference,
  withConfigReference,
} from '../../../agent/config/config-reference';
import { agentDefaults } from '../../../agent/config/defaults';
import { readReadme } from '../../support/readme';

const docOf = (key: string) => {
  const doc = configKeyDocs().find((d) => d.key === key);
  if (!doc) throw new Error(`no config reference row for ${key}`);
  return doc;
};

describe('the config reference in the README', () => {
  it('is what the schema and defaults.ts generate (run npm run docs:config)', () => {
    const inReadme = currentConfigReference(readReadme());
    const generated = configReferenceMarkdown();
    if (inReadme !== generated) {
      const ours = (inReadme ?? '').split('\n');
      const first = generated.split('\n').findIndex((line, i) => ours[i] !== line);
      throw new Error(
        `README.md's config reference is not what the schema generates (first difference at its line ${first + 1}): run npm run docs:config`,
      );
    }
  });

  it('documents every key, sections before their keys', () => {
    const keys = configKeyDocs().map((d) => d.key);
    expect(keys.slice(0, 3)).toEqual(['store', 'app', 'app.entry']);
    expect(keys).toEqual(expect.arrayContaining(['app.healthCheck.timeoutMs', 'limits.maxFiles', 'loadBalancer.slotWaitTimeoutMs', 'control.metricsPort']));
    expect(keys.indexOf('loadBalancer')).toBeLessThan(keys.indexOf('loadBalancer.targetGroupArns'));
    for (const doc of configKeyDocs()) expect(doc.description).not.toBe('');
  });

  it('takes fixed defaults from defaults.ts, app.healthCheck.* from its own section there', () => {
    expect(docOf('keep').default).toBe(`\`${agentDefaults.keep}\``);
    expect(docOf('app.startTimeoutMs').default).toBe(`\`${agentDefaults.app.startTimeoutMs}\``);
    expect(docOf('app.entry').default).toBe(`\`"${agentDefaults.app.entry}"\``);
    expect(docOf('app.healthCheck.path').default).toBe(`\`"${agentDefaults.healthCheck.path}"\``);
    expect(docOf('app.healthCheck.timeoutMs').default).toBe(`\`${agentDefaults.healthCheck.timeoutMs}\``);
    expect(docOf('limits.maxUnpackedBytes').default).toBe(`\`${agentDefaults.limits.maxUnpackedBytes}\` (4 GiB)`);
    expect(docOf('loadBalancer.drainTimeoutMs').default).toContain(`else \`${agentDefaults.loadBalancer.drainTimeoutMs}\``);
  });

  it('marks the required keys and shows the ranges the schema enforces', () => {
    expect(docOf('store')).toMatchObject({ default: 'required', type: 'string' });
    expect(docOf('app.port')).toMatchObject({ default: 'required', type: 'integer', range: '1-65535' });
    expect(docOf('keep').range).toBe('2-100');
    expect(docOf('app.workers')).toMatchObject({ type: '`"auto"` | integer', range: '1-256' });
    expect(docOf('app.healthCheck.path').range).toBe('starts with `/`');
    expect(docOf('loadBalancer.targetGroupArns')).toMatchObject({ type: 'string[]', range: 'at least 1, each starts with `arn:`' });
  });

  it('publishes the same schema as JSON Schema, descriptions included', () => {
    const schema = configJsonSchema();
    expect(schema.required).toEqual(['store', 'app']);
    expect(schema.additionalProperties).toBe(false);
    const keep = schema.properties?.['keep'];
    expect(keep).toMatchObject({ type: 'integer', minimum: 2, maximum: 100, description: docOf('keep').description });
  });

  it('refuses a key without a description, and an optional key without a default or a note', () => {
    const undocumented = { schema: z.strictObject({ port: z.number() }), defaults: {} };
    expect(() => configKeyDocs(undocumented)).toThrow(expect.objectContaining({ code: 'DOCS_KEY_UNDOCUMENTED' }));
    const noDefault = { schema: z.strictObject({ port: z.number().optional().meta({ description: 'a port' }) }), defaults: {} };
    expect(() => configKeyDocs(noDefault)).toThrow(expect.objectContaining({ code: 'DOCS_DEFAULT_MISSING' }));
    expect(configKeyDocs({ ...noDefault, defaults: { port: 80 } })[0]).toMatchObject({ key: 'port', default: '`80`' });
  });

  it('refuses a note that hides a default defaults.ts has', () => {
    const source = { schema: z.strictObject({ port: z.number().optional().meta({ description: 'a port', defaultNote: 'eighty' }) }), defaults: { port: 80 } };
    expect(() => configKeyDocs(source)).toThrow(expect.objectContaining({ code: 'DOCS_DEFAULT_TWICE' }));
  });

  it('rewrites only the text between the markers, and needs both', () => {
    const readme = `# title\n\nbefore\n${CONFIG_REFERENCE_START}\nold table\n${CONFIG_REFERENCE_END}\nafter\n`;
    const rewritten = withConfigReference(readme);
    expect(rewritten).toBe(`# title\n\nbefore\n${configReferenceMarkdown()}\nafter\n`);
    expect(withConfigReference(rewritten)).toBe(rewritten);
    expect(() => withConfigReference('# no markers\n')).toThrow(expect.objectContaining({ code: 'DOCS_MARKERS_MISSING' }));
  });
});
