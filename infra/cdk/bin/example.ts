#!/usr/bin/env node
/**
 * Example: one stack with a deploy-agent fleet. Build, then synthesize or deploy from infra/cdk:
 *   npm run build && cd infra/cdk && npx cdk synth   (the aws-cdk CLI is not a dependency of this repo)
 * Or without the CLI: node dist/infra/cdk/bin/example.js writes the cloud assembly to $CDK_OUTDIR.
 */
import { App, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AgentPackage, DeployAgentFleet } from '../lib';

export class ExampleFleetStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const fleet = new DeployAgentFleet(this, 'Fleet', {
      releasePrefix: 'my-app',
      // Upload the output of infra/pack-agent.sh here before the first deploy.
      agentPackage: AgentPackage.fromReleaseStore('agent/deploy-agent.tgz'),
      appPort: 3000,
      healthCheckPath: '/health',
      deregistrationDelay: Duration.seconds(30),
      minCapacity: 2,
      maxCapacity: 6,
      maxUnavailable: 1,
    });
    new CfnOutput(this, 'StoreUrl', { value: fleet.storeUrl, description: 'deployctl push <version> --store <this>' });
    new CfnOutput(this, 'LoadBalancerDns', { value: fleet.loadBalancer.loadBalancerDnsName });
    new CfnOutput(this, 'TargetGroupArn', { value: fleet.targetGroup.targetGroupArn });
  }
}

if (require.main === module) {
  const app = new App();
  new ExampleFleetStack(app, 'DeployAgentExample', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  app.synth();
}
