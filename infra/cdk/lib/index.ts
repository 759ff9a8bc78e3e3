export { AgentPackage, type AgentPackageOptions, type AgentPackageSource } from './agent-package';
export { agentPolicyStatements, type AgentPolicyScope } from './agent-policy';
export { DeployAgentFleet } from './deploy-agent-fleet';
export { fleetDefaults, type DeployAgentFleetProps } from './fleet-props';
