import { cdkTestApp } from '../../../support/cdk-test-app';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ExampleFleetStack } from '../../../../infra/cdk/bin/example';
import { runCommand } from '../../../support/run-command';

const cdkDir = path.resolve(__dirname, '../../../../infra/cdk');

describe('infra/cdk/bin/example.ts', () => {
  it('synthesizes a fleet with the store URL, DNS name and target group as outputs', () => {
    const stack = new ExampleFleetStack(cdkTestApp(), 'Example');

    const template = Template.fromStack(stack);

    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(['LoadBalancerDns', 'StoreUrl', 'TargetGroupArn']);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/health' });
  });

  describe('run as cdk.json says (the aws-cdk CLI runs the same command)', () => {
    let outDir: string;

    beforeEach(async () => {
      outDir = await mkdtemp(path.join(os.tmpdir(), 'cdk-example-'));
    });

    afterEach(async () => {
      await rm(outDir, { recursive: true, force: true });
    });

    it('writes a cloud assembly with the stack template, offline', async () => {
      const { app } = JSON.parse(await readFile(path.join(cdkDir, 'cdk.json'), 'utf8')) as { app: string };
      // `npm test` builds dist/ before jest starts; cdk.json runs the compiled example.
      await access(path.resolve(cdkDir, app.split(' ')[1] ?? ''));

      const result = await runCommand('/bin/sh', ['-c', app], { cwd: cdkDir, env: { ...process.env, CDK_OUTDIR: outDir }, timeoutMs: 120_000 });

      expect(result.code).toBe(0);
      expect(await readdir(outDir)).toEqual(expect.arrayContaining(['manifest.json', 'DeployAgentExample.template.json']));
    });
  });
});
