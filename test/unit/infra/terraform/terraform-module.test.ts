import { cdkTestApp } from '../../../support/cdk-test-app';
import path from 'node:path';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeployAgentFleet } from '../../../../infra/cdk/lib/deploy-agent-fleet';
import { fleetDefaults, RELEASE_PREFIX_REGEX } from '../../../../infra/cdk/lib/fleet-props';
import { renderCfnValue } from '../../../support/cloudformation-values';
import { fromCloudFormation, fromTerraform, type CanonicalStatement, type Symbols } from '../../../support/iam-statements';
import { blockOf, loadTerraformModule, type HclBlock, type TerraformModule } from '../../../support/terraform-module';

const moduleDir = path.resolve(__dirname, '../../../../infra/terraform');
const prefix = 'store-prefix-under-test';

/** Terraform's references → the shared symbols of test/support/iam-statements.ts. */
const terraformSymbols: Symbols = [
  // local.secrets_path_prefix, inlined: its default, "/" + the release prefix.
  ['${coalesce(var.secrets_path_prefix, "/${var.release_prefix}")}', '/{prefix}'],
  ['${data.aws_partition.current.partition}', '{partition}'],
  ['${data.aws_region.current.name}', '{region}'],
  ['${data.aws_caller_identity.current.account_id}', '{account}'],
  ['${local.release_bucket}', '{bucket}'],
  ['${var.release_prefix}', '{prefix}'],
  ['${aws_lb_target_group.this.arn}', '{targetGroupArn}'],
];

let tf: TerraformModule;
let cdk: { template: Template; symbols: Symbols; userData: string };

beforeAll(async () => {
  tf = await loadTerraformModule(moduleDir);
  const stack = new Stack(cdkTestApp(), 'Parity');
  const fleet = new DeployAgentFleet(stack, 'Fleet', { releasePrefix: prefix });
  const id = (c: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const template = Template.fromStack(stack);
  const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate')) as Array<{ Properties: { LaunchTemplateData: { UserData: unknown } } }>;
  cdk = {
    template,
    symbols: [
      // A bucket's Arn attribute is arn:<partition>:s3:::<name>, which is how Terraform spells it.
      [`\${${id(fleet.releaseBucket)}.Arn}`, 'arn:{partition}:s3:::{bucket}'],
      [`\${${id(fleet.releaseBucket)}}`, '{bucket}'],
      [`\${${id(fleet.targetGroup)}}`, '{targetGroupArn}'],
      [prefix, '{prefix}'],
      ['${AWS::Partition}', '{partition}'],
      ['${AWS::Region}', '{region}'],
      ['${AWS::AccountId}', '{account}'],
    ],
    userData: renderCfnValue(launchTemplate?.Properties.LaunchTemplateData.UserData),
  };
});

function cdkStatements(): CanonicalStatement[] {
  const [policy] = Object.values(cdk.template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: unknown } }>;
  return fromCloudFormation(policy?.Properties.PolicyDocument, cdk.symbols);
}

const list = (value: unknown): HclBlock[] => value as HclBlock[];
const first = (value: unknown): HclBlock => list(value)[0] ?? {};

describe('infra/terraform: the same IAM as the CDK construct', () => {
  it('grants exactly the statements DeployAgentFleet grants', () => {
    const terraform = fromTerraform(blockOf(tf.data, 'aws_iam_policy_document', 'agent'), tf.locals, terraformSymbols);

    expect(terraform).toEqual(cdkStatements());
    expect(terraform).toEqual([
      { sid: 'ListReleaseStore', effect: 'Allow', actions: ['s3:ListBucket'], resources: ['arn:{partition}:s3:::{bucket}'], conditions: { StringLike: { 's3:prefix': ['{prefix}/*'] } } },
      { sid: 'ReadReleaseSecrets', effect: 'Allow', actions: ['ssm:GetParameters'], resources: ['arn:{partition}:ssm:{region}:{account}:parameter/{prefix}/*'], conditions: {} },
      { sid: 'ReadReleaseStore', effect: 'Allow', actions: ['s3:GetObject'], resources: ['arn:{partition}:s3:::{bucket}/{prefix}/*'], conditions: {} },
      { sid: 'ReadTargetHealth', effect: 'Allow', actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'], conditions: {} },
      {
        sid: 'ServiceOutOfTargetGroup',
        effect: 'Allow',
        actions: ['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:RegisterTargets'],
        resources: ['{targetGroupArn}'],
        conditions: {},
      },
      {
        sid: 'WriteStatusAndLocks',
        effect: 'Allow',
        actions: ['s3:DeleteObject', 's3:PutObject'],
        resources: ['arn:{partition}:s3:::{bucket}/{prefix}/instances/*', 'arn:{partition}:s3:::{bucket}/{prefix}/locks/*'],
        conditions: {},
      },
    ]);
  });

  it('notices a statement that grants more (the comparison can fail)', () => {
    const agent = blockOf(tf.data, 'aws_iam_policy_document', 'agent') as { statement: Array<{ sid: string; resources: string[] }> };
    const widened = { statement: agent.statement.map((s) => (s.sid === 'WriteStatusAndLocks' ? { ...s, resources: ['${local.release_bucket_arn}/${var.release_prefix}/*'] } : s)) };

    expect(fromTerraform(widened, tf.locals, terraformSymbols)).not.toEqual(cdkStatements());
  });

  it('grants kms:Decrypt via SSM on secrets_kms_key_arn only when it is set, as the CDK construct does with secretsKmsKeyArn', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const withKey = new Stack(cdkTestApp(), 'ParityKms');
    new DeployAgentFleet(withKey, 'Fleet', { releasePrefix: prefix, secretsKmsKeyArn: key });
    const [policy] = Object.values(Template.fromStack(withKey).findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Sid?: string }> } } }>;
    const decrypt = { Statement: (policy?.Properties.PolicyDocument.Statement ?? []).filter((s) => s.Sid === 'DecryptReleaseSecrets') };
    const cdkDecrypt = fromCloudFormation(decrypt, [[key, '{kmsKey}'], ['${AWS::Region}', '{region}']]);
    const dynamic = blockOf(tf.data, 'aws_iam_policy_document', 'agent').dynamic as { statement: Array<{ for_each: string; content: unknown[] }> };
    const [block] = dynamic.statement;

    expect(block?.for_each).toBe('${var.secrets_kms_key_arn == null ? [] : [var.secrets_kms_key_arn]}');
    expect(fromTerraform({ statement: block?.content }, tf.locals, [...terraformSymbols, ['${statement.value}', '{kmsKey}']])).toEqual(cdkDecrypt);
    expect(cdkDecrypt).toHaveLength(1);
  });

  it('attaches the policy to the instance role, and SSM only when enable_ssm is set', () => {
    expect(blockOf(tf.resources, 'aws_iam_role_policy', 'agent')).toMatchObject({ role: '${aws_iam_role.instance.id}', policy: '${data.aws_iam_policy_document.agent.json}' });
    expect(blockOf(tf.resources, 'aws_iam_role_policy_attachment', 'ssm')).toMatchObject({
      count: '${var.enable_ssm ? 1 : 0}',
      policy_arn: 'arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore',
    });
    expect(blockOf(tf.resources, 'aws_iam_instance_profile', 'instance')).toMatchObject({ role: '${aws_iam_role.instance.name}' });
  });
});

describe('infra/terraform: the same resources as the CDK construct', () => {
  it('launches the Amazon Linux 2023 image the CDK construct uses, IMDSv2 only, with an encrypted root volume', () => {
    const launchTemplate = blockOf(tf.resources, 'aws_launch_template', 'this');
    const imageParameter = blockOf(tf.data, 'aws_ssm_parameter', 'al2023').name as string;
    const cdkParameters = Object.values(cdk.template.toJSON().Parameters as Record<string, { Default?: string }>).map((p) => p.Default);

    expect(first(launchTemplate.metadata_options)).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 });
    expect(first(first(launchTemplate.block_device_mappings).ebs)).toMatchObject({ encrypted: true, volume_type: 'gp3' });
    expect(launchTemplate.image_id).toBe('${data.aws_ssm_parameter.al2023.insecure_value}');
    expect(cdkParameters).toContain(imageParameter.replace('${var.architecture}', 'x86_64'));
  });

  it('creates the release bucket encrypted, versioned, with all public access blocked and TLS enforced', () => {
    const sse = blockOf(tf.resources, 'aws_s3_bucket_server_side_encryption_configuration', 'releases');
    const tlsOnly = first(blockOf(tf.data, 'aws_iam_policy_document', 'releases_tls_only').statement);

    expect(first(first(sse.rule).apply_server_side_encryption_by_default)).toEqual({ sse_algorithm: 'AES256' });
    expect(first(blockOf(tf.resources, 'aws_s3_bucket_versioning', 'releases').versioning_configuration)).toEqual({ status: 'Enabled' });
    expect(blockOf(tf.resources, 'aws_s3_bucket_public_access_block', 'releases')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(first(blockOf(tf.resources, 'aws_s3_bucket_ownership_controls', 'releases').rule)).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(tlsOnly).toMatchObject({ effect: 'Deny', actions: ['s3:*'], condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
  });

  it("expires old versions of the agents' status reports and locks", () => {
    const rule = first((blockOf(tf.resources, 'aws_s3_bucket_lifecycle_configuration', 'releases').dynamic as HclBlock).rule);
    const content = first(rule.content);

    expect(rule.for_each).toEqual({ 'expire-old-locks': 'locks', 'expire-old-status-reports': 'instances' });
    expect(first(content.filter)).toEqual({ prefix: '${var.release_prefix}/${rule.value}/' });
    expect(first(content.noncurrent_version_expiration)).toEqual({ noncurrent_days: 1 });
  });

  it('health-checks the app path and drains deregistered targets for the deregistration delay', () => {
    const targetGroup = blockOf(tf.resources, 'aws_lb_target_group', 'this');

    expect(targetGroup).toMatchObject({ port: '${var.app_port}', protocol: 'HTTP', target_type: 'instance', deregistration_delay: '${var.deregistration_delay_seconds}' });
    expect(first(targetGroup.health_check)).toMatchObject({ path: '${var.health_check_path}', matcher: '200-299' });
  });

  it('forwards port 80 to the target group without a certificate, and serves HTTPS on 443 with one', () => {
    const http = blockOf(tf.resources, 'aws_lb_listener', 'http');
    const https = blockOf(tf.resources, 'aws_lb_listener', 'https');

    expect(http).toMatchObject({ port: 80, protocol: 'HTTP' });
    expect(first(http.default_action)).toMatchObject({
      type: '${var.certificate_arn == null ? "forward" : "redirect"}',
      target_group_arn: '${var.certificate_arn == null ? aws_lb_target_group.this.arn : null}',
    });
    expect(https).toMatchObject({ count: '${var.certificate_arn == null ? 0 : 1}', port: 443, protocol: 'HTTPS' });
    expect(blockOf(tf.resources, 'aws_lb', 'this')).toMatchObject({ load_balancer_type: 'application', drop_invalid_header_fields: true });
  });

  it('runs the instances in the target group with ELB health checks, from the launch template', () => {
    const group = blockOf(tf.resources, 'aws_autoscaling_group', 'this');

    expect(group).toMatchObject({
      min_size: '${var.min_size}',
      max_size: '${var.max_size}',
      health_check_type: 'ELB',
      target_group_arns: ['${aws_lb_target_group.this.arn}'],
      vpc_zone_identifier: '${local.private_subnet_ids}',
    });
    expect(first(group.launch_template)).toEqual({ id: '${aws_launch_template.this.id}', version: '${aws_launch_template.this.latest_version}' });
  });

  it('lets only the load balancer reach the instances, on the app port', () => {
    const ingress = [...(tf.resources.get('aws_vpc_security_group_ingress_rule') ?? new Map<string, HclBlock>()).values()].filter(
      (rule) => rule.security_group_id === '${aws_security_group.instances.id}',
    );

    expect(ingress).toEqual([
      expect.objectContaining({ ip_protocol: 'tcp', from_port: '${var.app_port}', to_port: '${var.app_port}', referenced_security_group_id: '${aws_security_group.load_balancer.id}' }),
    ]);
  });

  it('boots instances the way the CDK construct does: Node 24, the agent tarball, install.sh with the same flags', () => {
    const template = tf.files.get('user-data.sh.tftpl') ?? '';
    const flags = (text: string): string[] => [...(text.split('\n').find((line) => line.includes('infra/install.sh" ')) ?? '').matchAll(/ (--[a-z-]+) /g)].map((m) => m[1] ?? '');
    const commands = (text: string): string[] => text.split('\n').filter((line) => /^(dnf|ln|tar|install_dir)/.test(line));

    expect(flags(template)).toEqual(flags(cdk.userData));
    expect(flags(template).length).toBeGreaterThan(5);
    expect(commands(template)).toEqual(commands(cdk.userData));
    expect(blockOf(tf.resources, 'aws_launch_template', 'this').user_data).toMatch(/templatefile\("\$\{path\.module\}\/user-data\.sh\.tftpl"/);
  });
});

describe('infra/terraform: variables and outputs', () => {
  it('describes and types every variable, and validates every one that is not a bool or a map', () => {
    for (const [name, variable] of tf.variables) {
      expect({ name, description: typeof variable.description === 'string' && variable.description.length > 10 }).toEqual({ name, description: true });
      expect({ name, type: typeof variable.type }).toEqual({ name, type: 'string' });
      if (variable.type === '${bool}' || variable.type === '${map(string)}') continue;
      expect({ name, validation: list(variable.validation ?? []).map((v) => typeof v.condition === 'string' && typeof v.error_message === 'string') }).toEqual({
        name,
        validation: [true],
      });
    }
  });

  it.each<[string, unknown]>([
    ['release_prefix', fleetDefaults.releasePrefix],
    ['agent_package_key', fleetDefaults.agentPackageKey],
    ['app_port', fleetDefaults.appPort],
    ['workers', fleetDefaults.workers],
    ['instance_type', fleetDefaults.instanceType],
    ['min_size', fleetDefaults.minCapacity],
    ['max_size', fleetDefaults.maxCapacity],
    ['max_unavailable', fleetDefaults.maxUnavailable],
    ['health_check_path', fleetDefaults.healthCheckPath],
    ['deregistration_delay_seconds', fleetDefaults.deregistrationDelaySeconds],
    ['internet_facing', fleetDefaults.internetFacing],
    ['enable_ssm', fleetDefaults.enableSsm],
  ])('defaults %s to the CDK construct default (%j)', (name, expected) => {
    expect(tf.variables.get(name)?.default).toEqual(expected);
  });

  it('checks release_prefix with the pattern the CDK construct uses', () => {
    const condition = first(tf.variables.get('release_prefix')?.validation).condition as string;

    expect(condition).toContain(`regex(${JSON.stringify(RELEASE_PREFIX_REGEX)}, var.release_prefix)`);
  });

  it('describes every output and exports the store URL, target group and load balancer', () => {
    for (const [name, output] of tf.outputs) expect({ name, described: typeof output.description === 'string' }).toEqual({ name, described: true });
    expect([...tf.outputs.keys()]).toEqual(expect.arrayContaining(['store_url', 'target_group_arn', 'load_balancer_dns_name', 'release_bucket_name']));
    expect(tf.locals.store_url).toBe('s3://${local.release_bucket}/${var.release_prefix}');
  });

  it('pins the Terraform and AWS provider versions', () => {
    const block = first(tf.terraform);

    expect(block.required_version).toMatch(/^>= 1\.\d+/);
    expect(first(block.required_providers)).toMatchObject({ aws: { source: 'hashicorp/aws', version: expect.stringMatching(/^>= 5\./) } });
  });
});
