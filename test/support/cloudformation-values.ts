/**
 * Renders a CloudFormation value built from intrinsics (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Base64) as text: references become `${LogicalId}` and
 * `${LogicalId.Attribute}`, so tests can read user data and ARNs that CDK
 * synthesizes as tokens. Anything else is an error naming the value.
 */
export function renderCfnValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    const [name, argument] = entries[0] ?? [];
    if (entries.length === 1 && name === 'Ref' && typeof argument === 'string') return `\${${argument}}`;
    if (entries.length === 1 && name === 'Fn::GetAtt' && Array.isArray(argument) && argument.length === 2) return `\${${String(argument[0])}.${String(argument[1])}}`;
    if (entries.length === 1 && name === 'Fn::Base64') return renderCfnValue(argument);
    if (entries.length === 1 && name === 'Fn::Join' && Array.isArray(argument) && typeof argument[0] === 'string' && Array.isArray(argument[1])) {
      return (argument[1] as unknown[]).map(renderCfnValue).join(argument[0]);
    }
  }
  throw new Error(`cannot render CloudFormation value ${JSON.stringify(value)}`);
}
