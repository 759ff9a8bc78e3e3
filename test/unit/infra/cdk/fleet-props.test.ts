import { cdkTestApp } from '../../../support/cdk-test-app';
import { Duration, Stack } from 'aws-cdk-lib';
import { DeployAgentFleet } from '../../../../infra/cdk/lib/deploy-agent-fleet';
import type { DeployAgentFleetProps } from '../../../../infra/cdk/lib/fleet-props';

let stack: Stack;

beforeEach(() => {
  stack = new Stack(cdkTestApp(), 'PropsTest');
});

describe('DeployAgentFleetProps validation', () => {
  it.each<[string, DeployAgentFleetProps, RegExp]>([
    ['a leading slash in the prefix', { releasePrefix: '/app' }, /releasePrefix must be/],
    ['a trailing slash in the prefix', { releasePrefix: 'app/' }, /releasePrefix must be/],
    ['port 0', { appPort: 0 }, /appPort must be a whole number from 1 to 65535, got 0/],
    ['a fractional port', { appPort: 80.5 }, /appPort must be a whole number/],
    ['maxUnavailable 0', { maxUnavailable: 0 }, /maxUnavailable must be a whole number from 1 to 1000/],
    ['min above max', { minCapacity: 5, maxCapacity: 2 }, /minCapacity must be at most maxCapacity \(2\), got 5/],
    ['a health check path without /', { healthCheckPath: 'health' }, /healthCheckPath must be a path starting with '\/'/],
    ['a 2-hour deregistration delay', { deregistrationDelay: Duration.hours(2) }, /deregistrationDelay must be 0-3600 whole seconds, got "7200s"/],
    ['257 workers', { workers: 257 }, /workers must be a whole number from 1 to 256/],
  ])('refuses %s, naming the prop', (_, props, message) => {
    expect(() => new DeployAgentFleet(stack, 'Fleet', props)).toThrow(message);
  });
});
