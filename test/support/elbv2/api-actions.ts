import { Elbv2ApiError, validationError } from './api-error';
import { optionalInteger, type QueryParams } from './query-params';
import type { TargetGroup, TargetHealthView, TargetRef } from './target-group';
import type { TargetGroupRegistry } from './target-group-registry';
import { el, members, stringMembers, type XmlNode } from './xml-response';

/** What the actions read besides the request. */
export interface ActionContext {
  readonly registry: TargetGroupRegistry;
  /** ARN of the emulator's load balancer. */
  readonly loadBalancerArn: string;
  /** The target group the listener forwards to, if any. */
  forwardedGroup(): TargetGroup | undefined;
}

/** One action: reads the request, changes the model, returns the children of `<{Action}Result>`. */
export type Action = (params: QueryParams, context: ActionContext) => XmlNode[];

function targetRefs(params: QueryParams): TargetRef[] {
  return params.structs('Targets').map((fields, i) => ({
    id: fields['Id'] ?? '',
    port: optionalInteger(fields['Port'], `Targets.member.${i + 1}.Port`),
  }));
}

function requiredTargets(params: QueryParams): TargetRef[] {
  const refs = targetRefs(params);
  if (refs.length === 0) throw validationError("'Targets' must contain at least one target");
  return refs;
}

function healthNode(view: TargetHealthView): XmlNode[] {
  return [
    el('Target', [el('Id', view.id), el('Port', view.port)]),
    el('HealthCheckPort', String(view.port)),
    el('TargetHealth', [el('State', view.state), el('Reason', view.reason), el('Description', view.description)]),
  ];
}

function targetGroupNode(group: TargetGroup, context: ActionContext): XmlNode[] {
  const { config } = group;
  const forwarded = context.forwardedGroup() === group;
  return [
    el('TargetGroupArn', group.arn),
    el('TargetGroupName', config.name),
    el('Protocol', 'HTTP'),
    el('Port', config.port),
    el('VpcId', 'vpc-0e1b2a3c4d5e6f708'),
    el('HealthCheckProtocol', 'HTTP'),
    el('HealthCheckPort', 'traffic-port'),
    el('HealthCheckEnabled', true),
    el('HealthCheckIntervalSeconds', Math.max(1, Math.ceil(config.intervalMs / 1000))),
    el('HealthCheckTimeoutSeconds', Math.max(1, Math.ceil(config.timeoutMs / 1000))),
    el('HealthyThresholdCount', config.healthyThreshold),
    el('UnhealthyThresholdCount', config.unhealthyThreshold),
    el('HealthCheckPath', config.healthCheckPath),
    el('Matcher', [el('HttpCode', config.matcher)]),
    stringMembers('LoadBalancerArns', forwarded ? [context.loadBalancerArn] : []),
    el('TargetType', 'instance'),
    el('ProtocolVersion', 'HTTP1'),
    el('IpAddressType', 'ipv4'),
  ];
}

function attributesNode(group: TargetGroup): XmlNode {
  return members(
    'Attributes',
    group.attributes.list().map(({ key, value }) => [el('Key', key), el('Value', value)]),
  );
}

function selectTargetGroups(params: QueryParams, context: ActionContext): TargetGroup[] {
  const arns = params.list('TargetGroupArns');
  const names = params.list('Names');
  const loadBalancerArn = params.string('LoadBalancerArn');
  const filters = [arns.length > 0, names.length > 0, loadBalancerArn !== undefined].filter(Boolean).length;
  if (filters > 1) {
    throw validationError('Only one of LoadBalancerArn, TargetGroupArns or Names can be specified');
  }
  if (arns.length > 0) return arns.map((arn) => context.registry.get(arn));
  if (names.length > 0) return names.map((name) => context.registry.byName(name));
  if (loadBalancerArn !== undefined) {
    if (loadBalancerArn !== context.loadBalancerArn) {
      throw new Elbv2ApiError('LoadBalancerNotFound', `Load balancer '${loadBalancerArn}' not found`);
    }
    const group = context.forwardedGroup();
    return group ? [group] : [];
  }
  return context.registry.all();
}

/** The actions the emulator answers, keyed on `Action`. */
export const actions: Readonly<Record<string, Action>> = {
  RegisterTargets(params, { registry }) {
    const group = registry.get(params.required('TargetGroupArn'));
    group.register(requiredTargets(params));
    return [];
  },

  DeregisterTargets(params, { registry }) {
    const group = registry.get(params.required('TargetGroupArn'));
    group.deregister(requiredTargets(params));
    return [];
  },

  DescribeTargetHealth(params, { registry }) {
    const group = registry.get(params.required('TargetGroupArn'));
    const views = group.describeHealth(targetRefs(params));
    return [members('TargetHealthDescriptions', views.map(healthNode))];
  },

  DescribeTargetGroups(params, context) {
    const groups = selectTargetGroups(params, context);
    return [members('TargetGroups', groups.map((group) => targetGroupNode(group, context)))];
  },

  DescribeTargetGroupAttributes(params, { registry }) {
    return [attributesNode(registry.get(params.required('TargetGroupArn')))];
  },

  ModifyTargetGroupAttributes(params, { registry }) {
    const group = registry.get(params.required('TargetGroupArn'));
    const changes = params.structs('Attributes').map((fields) => ({
      key: fields['Key'] ?? '',
      value: fields['Value'] ?? '',
    }));
    group.attributes.modify(changes);
    return [attributesNode(group)];
  },
};
