import type { DesiredState } from '../../agent/store/documents';
import { formatAge } from '../args/duration';
import type { FleetView, InstanceView } from '../fleet/fleet';
import { formatTable, shorten } from './text-table';

/** How much of a deploy error fits in the table. */
const ERROR_WIDTH = 60;

/** `deployctl status` as text: the desired.json line, then one row per instance. */
export function statusText(fleet: FleetView, storeUrl: string, now: number = Date.now()): string[] {
  const config = fleet.desiredConfig;
  const names = config && config.env.length + config.secrets.length > 0 ? [`config: env ${config.env.join(', ') || '-'}; secrets ${config.secrets.join(', ') || '-'}`] : [];
  const header = [desiredLine(fleet.desired?.value, storeUrl, now), ...names].join('\n');
  if (fleet.instances.length === 0) return [header, `no instance has reported to ${storeUrl} yet (instances/ is empty)`];
  const rows = fleet.instances.map((i) => [
    i.instanceId,
    i.running ?? '-',
    i.desired ?? '-',
    i.hook ? `${i.state} (hook ${i.hook.name})` : i.state,
    `${i.workers.ready}/${i.workers.total}`,
    lastDeployCell(i),
    `${formatAge(i.ageMs)} ago${i.stale ? ', stale' : ''}`,
  ]);
  return [header, ...formatTable(['INSTANCE', 'VERSION', 'DESIRED', 'STATE', 'WORKERS', 'LAST DEPLOY', 'HEARTBEAT'], rows)];
}

/** `deployctl status --json`: the documents as they are, each report with its age and stale flag. */
export function statusJson(fleet: FleetView): { desired: DesiredState | null; desiredConfig?: FleetView['desiredConfig']; instances: readonly InstanceView[] } {
  return { desired: fleet.desired?.value ?? null, ...(fleet.desiredConfig ? { desiredConfig: fleet.desiredConfig } : {}), instances: fleet.instances };
}

function desiredLine(desired: DesiredState | undefined, storeUrl: string, now: number): string {
  if (!desired) return `desired: none (nothing pushed to ${storeUrl} yet)`;
  const age = formatAge(now - Date.parse(desired.updatedAt));
  const previous = desired.previous === undefined ? 'none' : desired.previous;
  return `desired: ${desired.version} (${desired.strategy}), updated ${desired.updatedAt} (${age} ago), previous: ${previous}`;
}

function lastDeployCell(instance: InstanceView): string {
  const retrying = instance.retrying;
  if (retrying) return `${retrying.version} retrying after ${retrying.errorCode} (${retrying.attempts} failed)`;
  const last = instance.lastDeploy;
  if (!last) return '-';
  const error =
    last.error !== undefined ? `: ${shorten(last.error, ERROR_WIDTH)}` : last.warning !== undefined ? ` (afterLive failed: ${shorten(last.warning, ERROR_WIDTH)})` : '';
  return `${last.version} ${last.result}${error}`;
}
