import { cdkTestApp } from '../../../support/cdk-test-app';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { CfnElement } from 'aws-cdk-lib';
import { AgentPackage } from '../../../../infra/cdk/lib/agent-package';
import { DeployAgentFleet } from '../../../../infra/cdk/lib/deploy-agent-fleet';
import type { DeployAgentFleetProps } from '../../../../infra/cdk/lib/fleet-props';
import { renderCfnValue } from '../../../support/cloudformation-values';

const prefix = 'store-prefix-under-test';
let stack: Stack;

beforeEach(() => {
  stack = new Stack(cdkTestApp(), 'FleetTest');
});

function synth(props: DeployAgentFleetProps = {}): { fleet: DeployAgentFleet; template: Template } {
  const fleet = new DeployAgentFleet(stack, 'Fleet', { releasePrefix: prefix, ...props });
  return { fleet, template: Template.fromStack(stack) };
}

/** arn:<partition>:ssm:<region>:<account>:parameter/<path> as CDK synthesizes it. */
const parametersUnder = (path: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:parameter/${path}`]],
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

function userDataOf(template: Template): string {
  const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
  return renderCfnValue((launchTemplate as { Properties: { LaunchTemplateData: { UserData: unknown } } }).Properties.LaunchTemplateData.UserData);
}

describe('DeployAgentFleet', () => {
  it('creates a VPC, a release bucket, an ALB with one listener and target group, and an Auto Scaling group', () => {
    const { template } = synth();

    for (const type of [
      'AWS::EC2::VPC',
      'AWS::S3::Bucket',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ElasticLoadBalancingV2::Listener',
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'AWS::EC2::LaunchTemplate',
      'AWS::AutoScaling::AutoScalingGroup',
      'AWS::IAM::Role',
      'AWS::IAM::Policy',
    ]) {
      template.resourceCountIs(type, 1);
    }
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });

  it('launches Amazon Linux 2023 from a template that requires IMDSv2 tokens and encrypts the root volume', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: {
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3' } }],
        InstanceType: 't3.small',
      },
    });
    expect(Object.values(template.toJSON().Parameters as Record<string, { Default?: string }>).map((p) => p.Default)).toContain(
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    );
  });

  it('picks the arm64 image for a Graviton instance type', () => {
    const { template } = synth({ instanceType: new ec2.InstanceType('t4g.small') });

    expect(Object.values(template.toJSON().Parameters as Record<string, { Default?: string }>).map((p) => p.Default)).toContain(
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    );
  });

  it('creates the release bucket encrypted, versioned, with all public access blocked and TLS enforced', () => {
    const { fleet, template } = synth();
    const bucketArn = { 'Fn::GetAtt': [logicalId(fleet.releaseBucket), 'Arn'] };

    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
          },
        ],
      },
    });
  });

  it("expires old versions of the agents' status reports and locks, which they rewrite constantly", () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: `${prefix}/instances/`, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
          Match.objectLike({ Prefix: `${prefix}/locks/`, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ]),
      },
    });
  });

  it('health-checks the app path and drains deregistered targets for the deregistration delay', () => {
    const { template } = synth({ appPort: 8080, healthCheckPath: '/health', deregistrationDelay: Duration.seconds(45) });

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'instance',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200-299' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '45' }]),
    });
  });

  it('forwards plain HTTP on port 80 to the target group by default', () => {
    const { fleet, template } = synth();

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(fleet.targetGroup) } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
  });

  it('serves HTTPS on 443 and redirects 80 to it when given a certificate', () => {
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc');
    const { fleet, template } = synth({ certificates: [certificate] });

    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(fleet.targetGroup) } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS' }) }],
    });
  });

  it('runs the instances in the target group with ELB health checks and the given capacity', () => {
    const { fleet, template } = synth({ minCapacity: 3, maxCapacity: 9 });

    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '3',
      MaxSize: '9',
      HealthCheckType: 'ELB',
      TargetGroupARNs: [{ Ref: logicalId(fleet.targetGroup) }],
      LaunchTemplate: { LaunchTemplateId: { Ref: logicalId(fleet.launchTemplate) } },
    });
  });

  it('lets only the load balancer reach the instances, on the app port', () => {
    const { fleet, template } = synth({ appPort: 8080 });

    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: { 'Fn::GetAtt': [logicalId(fleet.securityGroup), 'GroupId'] } }, 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(fleet.securityGroup), 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LoadBalancerSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'deploy-agent instances: the app port from the load balancer only',
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('grants the instance role exactly the agent statements, on the release prefix and this target group only', () => {
    const { fleet, template } = synth();
    const bucketArn = { 'Fn::GetAtt': [logicalId(fleet.releaseBucket), 'Arn'] };
    const objects = (suffix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}/${suffix}`]] });

    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(fleet.role) }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: Match.exact([
          { Sid: 'ReadReleaseStore', Effect: 'Allow', Action: 's3:GetObject', Resource: objects('*') },
          { Sid: 'ListReleaseStore', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } } },
          { Sid: 'WriteStatusAndLocks', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: [objects('instances/*'), objects('locks/*')] },
          {
            Sid: 'ServiceOutOfTargetGroup',
            Effect: 'Allow',
            Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
            Resource: { Ref: logicalId(fleet.targetGroup) },
          },
          { Sid: 'ReadTargetHealth', Effect: 'Allow', Action: 'elasticloadbalancing:DescribeTargetHealth', Resource: '*' },
          { Sid: 'ReadReleaseSecrets', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: parametersUnder(`${prefix}/*`) },
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('grants ssm:GetParameters on the configured secrets path only, and kms:Decrypt via SSM on the given key only', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = synth({ secretsPathPrefix: '/web/prod', secretsKmsKeyArn: key });

    const [policy] = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Sid: string }> } } }>;
    const statements = policy?.Properties.PolicyDocument.Statement ?? [];
    expect(statements.filter((s) => /Secrets/.test(s.Sid))).toEqual([
      { Sid: 'ReadReleaseSecrets', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: parametersUnder('web/prod/*') },
      { Sid: 'DecryptReleaseSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } } },
    ]);
  });

  it.each(['web/prod', '/web/prod/', '/web prod'])('refuses the secrets path prefix %j, naming the prop', (secretsPathPrefix) => {
    expect(() => synth({ secretsPathPrefix })).toThrow(/DeployAgentFleet: secretsPathPrefix must be an SSM parameter path like \/app\/prod/);
  });

  it('attaches AmazonSSMManagedInstanceCore only when enableSsm is set', () => {
    const { template } = synth({ enableSsm: true });

    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  it('uses an existing VPC and bucket instead of creating them, and scopes the role to that bucket', () => {
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Existing', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b'],
      privateSubnetIds: ['subnet-0000000000000000c', 'subnet-0000000000000000d'],
    });
    const bucket = s3.Bucket.fromBucketName(stack, 'ExistingBucket', 'existing-release-bucket');

    const { template } = synth({ vpc, releaseBucket: bucket });

    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: ['subnet-0000000000000000c', 'subnet-0000000000000000d'] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadReleaseStore',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::existing-release-bucket/${prefix}/*`]] },
          }),
        ]),
      },
    });
  });

  it('boots instances with Node 24 and the agent from the release store, configured by install.sh', () => {
    const { fleet, template } = synth({ appPort: 8080, maxUnavailable: 2, workers: 4 });
    const bucket = `\${${logicalId(fleet.releaseBucket)}}`;
    const lines = userDataOf(template).split('\n');

    expect(lines).toEqual([
      '#!/bin/bash',
      'set -euo pipefail',
      'dnf install -y nodejs24 nodejs24-npm',
      'ln -sfn /usr/bin/node-24 /usr/local/bin/node',
      `aws s3 cp --only-show-errors --region \${AWS::Region} s3://${bucket}/${prefix}/agent/deploy-agent.tgz /root/deploy-agent.tgz`,
      'install_dir=$(mktemp -d)',
      'tar -xzf /root/deploy-agent.tgz -C "$install_dir" package/infra/install.sh',
      `NPM=npm-24 bash "$install_dir/package/infra/install.sh" --tarball /root/deploy-agent.tgz --store s3://${bucket}/${prefix} --port 8080 --workers 4 --region \${AWS::Region} --target-group-arn \${${logicalId(fleet.targetGroup)}} --max-unavailable 2`,
    ]);
    expect(fleet.storeUrl).toContain(`/${prefix}`);
  });

  it('downloads the agent from a URL and checks its sha256 when told to', () => {
    const sha256 = 'a'.repeat(64);
    const { template } = synth({ agentPackage: AgentPackage.fromUrl('https://example.com/deploy-agent-0.1.0.tgz', { sha256 }) });
    const lines = userDataOf(template).split('\n');

    expect(lines).toContain("curl --fail --silent --show-error --location --retry 5 --output /root/deploy-agent.tgz 'https://example.com/deploy-agent-0.1.0.tgz'");
    expect(lines).toContain(`echo '${sha256}  /root/deploy-agent.tgz' | sha256sum --check --strict -`);
    expect(lines.findIndex((l) => l.startsWith('echo'))).toBe(lines.findIndex((l) => l.startsWith('curl')) + 1);
  });

  it('passes install.sh only flags install.sh accepts', async () => {
    const script = await readFile(path.resolve(__dirname, '../../../../infra/install.sh'), 'utf8');
    const accepted = new Set([...script.matchAll(/^\s+(--[a-z-]+)\)/gm)].map((m) => m[1]));
    const { template } = synth();

    const installLine = userDataOf(template).split('\n').find((line) => line.includes('infra/install.sh" ')) ?? '';
    const used = [...installLine.matchAll(/ (--[a-z-]+) /g)].map((m) => m[1]);

    expect(used.length).toBeGreaterThan(5);
    for (const flag of used) expect(accepted).toContain(flag);
  });
});
