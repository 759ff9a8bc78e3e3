import { Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AgentPackage } from './agent-package';
import { agentPolicyStatements } from './agent-policy';
import { agentUserDataCommands } from './agent-user-data';
import { fleetDefaults, validateFleetProps, type DeployAgentFleetProps } from './fleet-props';
import { createReleaseBucket } from './release-bucket';

/**
 * A fleet of Amazon Linux 2023 instances running deploy-agent behind an
 * Application Load Balancer: VPC (new or given), release bucket (new or
 * given), Auto Scaling group with an IMDSv2-only launch template, ALB,
 * listener, target group, and a least-privilege instance role.
 *
 * Publish releases with `deployctl push <version> --store <storeUrl>`.
 */
export class DeployAgentFleet extends Construct {
  readonly vpc: ec2.IVpc;
  readonly releaseBucket: s3.IBucket;
  /** The store's key prefix in the bucket. */
  readonly releasePrefix: string;
  /** s3://BUCKET/PREFIX: the --store of deployctl and of every agent. */
  readonly storeUrl: string;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: DeployAgentFleetProps = {}) {
    super(scope, id);
    validateFleetProps(props);
    const d = fleetDefaults;
    const appPort = props.appPort ?? d.appPort;
    this.releasePrefix = props.releasePrefix ?? d.releasePrefix;

    this.vpc =
      props.vpc ??
      new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 1,
        gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      });
    this.releaseBucket = props.releaseBucket ?? createReleaseBucket(this, 'ReleaseBucket', this.releasePrefix);
    this.storeUrl = `s3://${this.releaseBucket.bucketName}/${this.releasePrefix}`;

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: props.internetFacing ?? d.internetFacing,
      dropInvalidHeaderFields: true,
    });
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      port: appPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      deregistrationDelay: props.deregistrationDelay ?? Duration.seconds(d.deregistrationDelaySeconds),
      healthCheck: {
        path: props.healthCheckPath ?? d.healthCheckPath,
        healthyHttpCodes: '200-299',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });
    this.listener = this.addListeners(props.certificates);

    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'deploy-agent: read the release store, report status, take this instance out of its target group',
      managedPolicies: (props.enableSsm ?? d.enableSsm) ? [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')] : [],
    });
    for (const statement of agentPolicyStatements({
      bucket: this.releaseBucket,
      prefix: this.releasePrefix,
      targetGroupArn: this.targetGroup.targetGroupArn,
      secretsPathPrefix: props.secretsPathPrefix ?? `/${this.releasePrefix}`,
      stack: Stack.of(this),
      ...(props.secretsKmsKeyArn === undefined ? {} : { secretsKmsKeyArn: props.secretsKmsKeyArn }),
    })) {
      this.role.addToPrincipalPolicy(statement);
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.vpc,
      description: 'deploy-agent instances: the app port from the load balancer only',
      allowAllOutbound: true,
    });
    this.launchTemplate = this.createLaunchTemplate(props, appPort);
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: this.vpc,
      vpcSubnets: props.instanceSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: this.launchTemplate,
      minCapacity: props.minCapacity ?? d.minCapacity,
      maxCapacity: props.maxCapacity ?? d.maxCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
    });
    this.targetGroup.addTarget(this.autoScalingGroup);
  }

  private addListeners(certificates: elbv2.IListenerCertificate[] | undefined): elbv2.ApplicationListener {
    const forward = elbv2.ListenerAction.forward([this.targetGroup]);
    if (certificates === undefined || certificates.length === 0) {
      return this.loadBalancer.addListener('Listener', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, defaultAction: forward });
    }
    this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    return this.loadBalancer.addListener('Listener', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      defaultAction: forward,
    });
  }

  private createLaunchTemplate(props: DeployAgentFleetProps, appPort: number): ec2.LaunchTemplate {
    const d = fleetDefaults;
    const instanceType = props.instanceType ?? new ec2.InstanceType(d.instanceType);
    const cpuType = instanceType.architecture === ec2.InstanceArchitecture.ARM_64 ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64;
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...agentUserDataCommands({
        agentPackage: (props.agentPackage ?? AgentPackage.fromReleaseStore(d.agentPackageKey)).source,
        bucketName: this.releaseBucket.bucketName,
        prefix: this.releasePrefix,
        region: Stack.of(this).region,
        appPort,
        targetGroupArn: this.targetGroup.targetGroupArn,
        maxUnavailable: props.maxUnavailable ?? d.maxUnavailable,
        workers: props.workers ?? d.workers,
      }),
    );
    return new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      // AL2023's default kernel (latestAmazonLinux2023() pins 6.1); the Terraform module reads the same parameter.
      machineImage: ec2.MachineImage.fromSsmParameter(ec2.AmazonLinux2023ImageSsmParameter.ssmParameterName({ cpuType, kernel: ec2.AmazonLinux2023Kernel.DEFAULT })),
      instanceType,
      role: this.role,
      securityGroup: this.securityGroup,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(16, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
  }
}
